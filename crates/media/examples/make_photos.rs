//! Makes photo-like test images, for benchmarks and fuzz seeds: smooth colour fields (a sky
//! gradient, soft blobs, a gentle texture) plus mild sensor-like noise. Pure noise would be
//! unlike a photo to a JPEG encoder (and huge); pure gradients would be unrealistically
//! small. At 4000 × 3000 and quality 90 each JPEG is a few megabytes, like a phone's.
//!
//! Every image differs (its own colours, blobs and noise), and the same index always gives
//! the same image, so cached fixtures stay valid.
//!
//! ```sh
//! cargo run --release -p tessera-media --example make_photos -- OUT_DIR \
//!     [--count 20] [--size 4000x3000] [--quality 90] [--formats jpg,png,webp]
//! ```
//!
//! Writes `OUT_DIR/photo-01.jpg` and so on. PNG and WebP are lossless (WebP: the only kind
//! the `image` crate writes).

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use image::ImageEncoder;
use image::codecs::{jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Options {
    out: PathBuf,
    count: u32,
    width: u32,
    height: u32,
    quality: u8,
    formats: Vec<String>,
}

fn main() -> Res<()> {
    let options = parse(std::env::args().skip(1))?;
    std::fs::create_dir_all(&options.out)?;
    // Two cores at most on the project's machines; one image per worker at a time.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let indices: Vec<u32> = (1..=options.count).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(indices.len().div_ceil(workers).max(1))
            .map(|chunk| {
                let options = &options;
                scope.spawn(move || -> Res<()> {
                    for &index in chunk {
                        let pixels = paint(index, options.width, options.height);
                        for format in &options.formats {
                            let path = options.out.join(format!("photo-{index:02}.{format}"));
                            write(&path, format, &pixels, options)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| "a worker panicked")?)
    })?;
    eprintln!(
        "make_photos: {} image(s) of {}x{} in {}",
        options.count,
        options.width,
        options.height,
        options.out.display()
    );
    Ok(())
}

fn parse(mut args: impl Iterator<Item = String>) -> Res<Options> {
    const USAGE: &str = "usage: make_photos OUT_DIR [--count N] [--size WxH] [--quality Q] \
                         [--formats jpg,png,webp]";
    let mut options = Options {
        out: PathBuf::new(),
        count: 20,
        width: 4000,
        height: 3000,
        quality: 90,
        formats: vec!["jpg".into()],
    };
    let mut out = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(USAGE);
        match arg.as_str() {
            "--count" => options.count = value()?.parse()?,
            "--quality" => options.quality = value()?.parse()?,
            "--size" => {
                let size = value()?;
                let (w, h) = size.split_once('x').ok_or(USAGE)?;
                (options.width, options.height) = (w.parse()?, h.parse()?);
            }
            "--formats" => options.formats = value()?.split(',').map(str::to_owned).collect(),
            _ if arg.starts_with('-') || out.is_some() => return Err(USAGE.into()),
            _ => out = Some(PathBuf::from(arg)),
        }
    }
    options.out = out.ok_or(USAGE)?;
    if options.width == 0 || options.height == 0 || options.count == 0 {
        return Err(USAGE.into());
    }
    if let Some(bad) = options
        .formats
        .iter()
        .find(|f| !matches!(f.as_str(), "jpg" | "png" | "webp"))
    {
        return Err(format!("unknown format {bad:?}; {USAGE}").into());
    }
    Ok(options)
}

fn write(path: &Path, format: &str, pixels: &[u8], options: &Options) -> Res<()> {
    let file = BufWriter::new(File::create(path)?);
    let (w, h, rgb) = (
        options.width,
        options.height,
        image::ExtendedColorType::Rgb8,
    );
    match format {
        "jpg" => {
            JpegEncoder::new_with_quality(file, options.quality).write_image(pixels, w, h, rgb)?
        }
        "png" => PngEncoder::new(file).write_image(pixels, w, h, rgb)?,
        _ => WebPEncoder::new_lossless(file).write_image(pixels, w, h, rgb)?,
    }
    Ok(())
}

/// A small deterministic generator (SplitMix64): no dependency, same output everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }

    fn colour(&mut self) -> [f32; 3] {
        [
            self.range(0.0, 255.0),
            self.range(0.0, 255.0),
            self.range(0.0, 255.0),
        ]
    }
}

/// Image `index` as packed RGB. Every term is separable (a function of x times a function
/// of y), so a 12-megapixel image takes a fraction of a second.
fn paint(index: u32, width: u32, height: u32) -> Vec<u8> {
    let mut rng = Rng(u64::from(index).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let (w, h) = (width as usize, height as usize);
    let (top, bottom) = (rng.colour(), rng.colour());

    // Soft blobs: a Gaussian in x times a Gaussian in y, each with its own colour shift.
    struct Blob {
        xs: Vec<f32>,
        ys: Vec<f32>,
        shift: [f32; 3],
    }
    let gaussian = |n: usize, centre: f32, radius: f32| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let d = (i as f32 - centre) / radius;
                (-d * d).exp()
            })
            .collect()
    };
    let blobs: Vec<Blob> = (0..6)
        .map(|_| {
            let radius = rng.range(0.08, 0.35) * width as f32;
            let (cx, cy) = (rng.range(0.0, w as f32), rng.range(0.0, h as f32));
            let shift = [
                rng.range(-90.0, 90.0),
                rng.range(-90.0, 90.0),
                rng.range(-90.0, 90.0),
            ];
            Blob {
                xs: gaussian(w, cx, radius),
                ys: gaussian(h, cy, radius * rng.range(0.6, 1.4)),
                shift,
            }
        })
        .collect();

    // A gentle mid-frequency texture (foliage, fabric), and per-pixel noise like a sensor's.
    let (fx, fy) = (rng.range(0.01, 0.08), rng.range(0.01, 0.08));
    let tx: Vec<f32> = (0..w).map(|x| (x as f32 * fx).sin()).collect();
    let ty: Vec<f32> = (0..h).map(|y| (y as f32 * fy).sin()).collect();
    let texture = rng.range(4.0, 10.0);
    let noise = 10.0;

    let mut pixels = vec![0u8; w * h * 3];
    for (y, row) in pixels.chunks_exact_mut(w * 3).enumerate() {
        let t = y as f32 / h as f32;
        let sky: [f32; 3] = std::array::from_fn(|c| top[c] + (bottom[c] - top[c]) * t);
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let mut rgb = sky;
            for blob in &blobs {
                let weight = blob.xs[x] * blob.ys[y];
                for (c, v) in rgb.iter_mut().enumerate() {
                    *v += blob.shift[c] * weight;
                }
            }
            let detail = texture * tx[x] * ty[y];
            for (c, v) in rgb.iter().enumerate() {
                let grain = rng.range(-noise, noise);
                px[c] = (v + detail + grain).clamp(0.0, 255.0) as u8;
            }
        }
    }
    pixels
}
