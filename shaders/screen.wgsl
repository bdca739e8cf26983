// The guest screen filter: draws the guest frame into the screen panel's rectangle with
// nearest sampling, then an optional look. egui sets the viewport to the panel rectangle,
// so one triangle covering clip space fills it.

struct Uniforms {
    // Guest frame size in pixels.
    guest_size: vec2<f32>,
    // 0 = plain, 1 = scanlines (CRT rows), 2 = LCD grid (Game Boy style gaps).
    mode: u32,
    // How many window pixels one guest pixel covers (the effect fades out below 3).
    scale: f32,
};

@group(0) @binding(0) var frame_tex: texture_2d<f32>;
@group(0) @binding(1) var frame_sampler: sampler;
@group(0) @binding(2) var<uniform> u: Uniforms;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    // A triangle of (-1,-1), (3,-1), (-1,3): covers the viewport with uv 0..1 inside it.
    let x = f32((i << 1u) & 2u);
    let y = f32(i & 2u);
    var out: VsOut;
    out.position = vec4<f32>(x * 2.0 - 1.0, 1.0 - y * 2.0, 0.0, 1.0);
    out.uv = vec2<f32>(x, y);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let color = textureSample(frame_tex, frame_sampler, in.uv).rgb;
    // Position inside the guest pixel, 0..1 on each axis.
    let cell = fract(in.uv * u.guest_size);
    let strength = clamp((u.scale - 2.0) / 2.0, 0.0, 1.0);
    var shade = 1.0;
    if (u.mode == 1u) {
        // Darken the lower third of every row, softly.
        shade = 1.0 - 0.45 * strength * smoothstep(0.55, 0.8, cell.y);
    } else if (u.mode == 2u) {
        let edge = max(smoothstep(0.82, 0.95, cell.x), smoothstep(0.82, 0.95, cell.y));
        shade = 1.0 - 0.35 * strength * edge;
    }
    return vec4<f32>(color * shade, 1.0);
}
