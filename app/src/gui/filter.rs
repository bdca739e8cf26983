//! The screen filter on the GPU: `shaders/screen.wgsl` drawn through an egui_wgpu paint
//! callback. The pipeline is built once at startup and kept in the renderer's callback
//! resources; each frame only uploads the guest picture (when it changed) and 16 bytes
//! of uniforms.

use std::sync::Arc;

use egui_wgpu::wgpu;
use serde::{Deserialize, Serialize};

use super::emu::FrameImage;

const SHADER: &str = include_str!("../../../shaders/screen.wgsl");

/// The look of the screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScreenFilter {
    /// Sharp pixels (egui draws the texture, no shader needed).
    #[default]
    None,
    /// CRT-style dark rows.
    Scanlines,
    /// LCD-style gaps between pixels.
    LcdGrid,
}

impl ScreenFilter {
    fn mode(self) -> u32 {
        match self {
            ScreenFilter::None => 0,
            ScreenFilter::Scanlines => 1,
            ScreenFilter::LcdGrid => 2,
        }
    }
}

/// GPU objects made once, plus the texture of the current guest frame size.
pub struct FilterResources {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    uniforms: wgpu::Buffer,
    texture: Option<(wgpu::Texture, wgpu::BindGroup, [u32; 2])>,
    uploaded_serial: u64,
}

/// Build the pipeline and register it with the renderer. Called once at startup.
pub fn install(render_state: &egui_wgpu::RenderState) {
    let device = &render_state.device;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("screen filter"),
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("screen filter"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    multisampled: false,
                    sample_type: wgpu::TextureSampleType::Float { filterable: true },
                    view_dimension: wgpu::TextureViewDimension::D2,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 2,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("screen filter"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("screen filter"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            buffers: &[],
            compilation_options: wgpu::PipelineCompilationOptions::default(),
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_main"),
            targets: &[Some(wgpu::ColorTargetState {
                format: render_state.target_format,
                blend: None,
                write_mask: wgpu::ColorWrites::ALL,
            })],
            compilation_options: wgpu::PipelineCompilationOptions::default(),
        }),
        multiview_mask: None,
        cache: None,
    });
    let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
        label: Some("screen filter"),
        mag_filter: wgpu::FilterMode::Nearest,
        min_filter: wgpu::FilterMode::Nearest,
        ..Default::default()
    });
    let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("screen filter"),
        size: 16,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let resources = FilterResources {
        pipeline,
        layout,
        sampler,
        uniforms,
        texture: None,
        uploaded_serial: 0,
    };
    render_state
        .renderer
        .write()
        .callback_resources
        .insert(resources);
}

/// One draw of the guest frame with a filter.
pub struct ScreenCallback {
    pub frame: Arc<FrameImage>,
    pub serial: u64,
    pub filter: ScreenFilter,
    pub scale: f32,
}

impl egui_wgpu::CallbackTrait for ScreenCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<FilterResources>() else {
            return Vec::new();
        };
        let f = &self.frame;
        let size = [f.width as u32, f.height as u32];
        if f.width == 0 || f.rgba.len() != f.width * f.height * 4 {
            return Vec::new();
        }
        if res.texture.as_ref().is_none_or(|t| t.2 != size) {
            let texture = device.create_texture(&wgpu::TextureDescriptor {
                label: Some("guest frame"),
                size: wgpu::Extent3d {
                    width: size[0],
                    height: size[1],
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            });
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("screen filter"),
                layout: &res.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Sampler(&res.sampler),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: res.uniforms.as_entire_binding(),
                    },
                ],
            });
            res.texture = Some((texture, bind_group, size));
            res.uploaded_serial = 0;
        }
        if let Some((texture, _, _)) = &res.texture
            && res.uploaded_serial != self.serial
        {
            res.uploaded_serial = self.serial;
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &f.rgba,
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(4 * size[0]),
                    rows_per_image: Some(size[1]),
                },
                wgpu::Extent3d {
                    width: size[0],
                    height: size[1],
                    depth_or_array_layers: 1,
                },
            );
        }
        let mut u = Vec::with_capacity(16);
        u.extend_from_slice(&(f.width as f32).to_le_bytes());
        u.extend_from_slice(&(f.height as f32).to_le_bytes());
        u.extend_from_slice(&self.filter.mode().to_le_bytes());
        u.extend_from_slice(&self.scale.to_le_bytes());
        queue.write_buffer(&res.uniforms, 0, &u);
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(res) = resources.get::<FilterResources>() else {
            return;
        };
        let Some((_, bind_group, _)) = &res.texture else {
            return;
        };
        pass.set_pipeline(&res.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}
