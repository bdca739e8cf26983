//! The CHIP-8 family core of Workbench: CHIP-8 as the COSMAC VIP ran it, SUPER-CHIP 1.1
//! (modern and legacy HP48 behaviour) and XO-CHIP.
//!
//! [`Chip8`] is the one facade; it implements [`wb_machine::Machine`]. A frame is
//! [`Config::instructions_per_frame`] instruction slots followed by the 60 Hz tick (timers
//! and one frame of audio). With the display-wait quirk a draw idles the rest of its frame.
//! There is no cycle model: [`wb_machine::Budget::Cycles`] counts instruction slots (idle
//! ones included), [`wb_machine::Budget::Instructions`] counts executed instructions.
//!
//! ```
//! use wb_chip8::{Chip8, Config, Platform};
//! use wb_machine::{Budget, Machine, StopReason};
//! // v0 := 1; jump to itself
//! let mut m = Chip8::new(&[0x60, 0x01, 0x12, 0x02], Config::for_platform(Platform::Chip8)).unwrap();
//! assert_eq!(m.run(Budget::Frame).stop, StopReason::FrameDone);
//! assert_eq!(m.registers()[0].value, 1);
//! ```

mod chip8;
mod config;
mod disasm;
mod display;
mod exec;
mod font;
mod machine;
mod op;
mod run;
mod snapshot;
mod sound;

pub use chip8::{Chip8, LoadError};
pub use config::{Config, Platform, Quirks};
pub use disasm::disassemble_one;
pub use machine::BUTTONS;
pub use sound::AUDIO_RATE;
