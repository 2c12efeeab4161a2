"""Makes the images of the QR scanner benchmark (scripts/bench-scan.sh) and their manifest.

Every image is a 1280x720 "webcam frame" unless its case says otherwise, made from a seed so
two runs with the same seed and the same pinned packages write the same files:

  - photos of Tessera's own cards (the PNGs `tessera access grant --qr-out` writes), laid on
    a card and photographed on paper: rotated, tilted, blurred, noisy, low contrast, small,
    JPEG-compressed, curved, under glare, under a thumb, and a few combinations;
  - other QR codes made with the `qrcode` package: versions 1 to 40, the four error
    correction levels, inverted (light on dark) and mirrored;
  - negatives without any QR code, where any decode is a false positive.

The manifest (manifest.json in the output folder) lists every image with its category, case,
parameters and the text a reader must find (null for a negative).

Usage: generate.py OUT_DIR --cards cards.json [--seed N]
       generate.py OUT_DIR --fake-cards N     (cards made here, for testing without tessera)
cards.json: [{"png": "card-1.png", "token": "TS1:..."}, ...]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import string
import sys
from pathlib import Path

import numpy as np
import qrcode
import qrcode.util
from PIL import Image, ImageDraw, ImageFilter

FRAME_W, FRAME_H = 1280, 720
# The card PNG: 8 px per module and a 4-module quiet zone (the contract of --qr-out).
CARD_PX_PER_MODULE = 8
CARD_QUIET_MODULES = 4


# --- Small image helpers ------------------------------------------------------------------

def to_array(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float32)


def to_image(arr: np.ndarray, mode: str = "RGB") -> Image.Image:
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), mode)


def paper_background(rng: np.random.Generator, w: int = FRAME_W, h: int = FRAME_H) -> np.ndarray:
    """A sheet of paper on a desk: a warm light grey, uneven light, grain and a few fibres."""
    grey = rng.uniform(195, 232)
    base = np.array([grey, grey - rng.uniform(0, 6), grey - rng.uniform(4, 16)], dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Uneven light: a linear fall-off plus a broad bright spot.
    ang = rng.uniform(0, 2 * math.pi)
    light = 1.0 - 0.12 * ((xx / w - 0.5) * math.cos(ang) + (yy / h - 0.5) * math.sin(ang))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    light += 0.06 * np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.4 * w) ** 2)))
    arr = base[None, None, :] * light[:, :, None]
    # Paper grain: low-amplitude noise, slightly smoothed.
    grain = rng.normal(0, 4, (h // 2, w // 2)).astype(np.float32)
    grain_img = Image.fromarray(np.clip(grain + 128, 0, 255).astype(np.uint8), "L")
    grain_img = grain_img.resize((w, h), Image.BILINEAR).filter(ImageFilter.GaussianBlur(0.7))
    arr += (to_array(grain_img) - 128)[:, :, None]
    img = to_image(arr)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(10, 30))):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        a, length = rng.uniform(0, 2 * math.pi), rng.uniform(8, 40)
        tone = int(rng.uniform(150, 190))
        draw.line([(x0, y0), (x0 + length * math.cos(a), y0 + length * math.sin(a))],
                  fill=(tone, tone - 5, tone - 12), width=1)
    return to_array(img)


def make_card(qr_png: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Tessera's card as printed: the QR PNG on white card stock with a caption under it.

    Returns the RGBA card (transparent outside its rounded corners) and the box of the QR's
    modules (quiet zone excluded) in card pixels.
    """
    qr = qr_png.convert("RGB")
    q = qr.width
    margin = 36
    caption = 150
    w, h = q + 2 * margin, q + margin + caption
    card = Image.new("RGB", (w, h), (252, 252, 250))
    card.paste(qr, (margin, margin))
    draw = ImageDraw.Draw(card)
    # Caption: text-like bars (a title line, two lines of smaller "text").
    y = margin + q + 18
    for height, n_words in ((22, 3), (12, 6), (12, 5)):
        x = margin + 20
        for _ in range(n_words):
            word = int(rng.uniform(30, 80))
            if x + word > w - margin:
                break
            draw.rectangle([x, y, x + word, y + height], fill=(40, 40, 60))
            x += word + int(rng.uniform(10, 18))
        y += height + 14
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=28, fill=255)
    card.putalpha(mask)
    quiet = CARD_QUIET_MODULES * CARD_PX_PER_MODULE
    box = (margin + quiet, margin + quiet, margin + q - quiet, margin + q - quiet)
    return card, box


def homography(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> np.ndarray:
    """The 3x3 matrix mapping the four src points onto the four dst points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    coeffs = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return np.append(coeffs, 1.0).reshape(3, 3)


def warp_rgba(img: Image.Image, corners: list[tuple[float, float]]) -> tuple[Image.Image, tuple[int, int]]:
    """The RGBA image with its four corners (TL, TR, BR, BL) moved to `corners` (any plane
    coordinates). Returns the warped image and the offset of its top-left in that plane."""
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    ox, oy = math.floor(min(xs)) - 2, math.floor(min(ys)) - 2
    out_w, out_h = math.ceil(max(xs)) + 2 - ox, math.ceil(max(ys)) + 2 - oy
    w, h = img.size
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(x - ox, y - oy) for x, y in corners]
    inv = homography(dst, src)  # PIL maps output pixels back to input pixels.
    coeffs = (inv / inv[2, 2]).flatten()[:8]
    # Premultiply so transparent pixels do not bleed a colour into the edges.
    arr = to_array(img)
    arr[:, :, :3] *= arr[:, :, 3:4] / 255.0
    pre = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGBA")
    out = pre.transform((out_w, out_h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC)
    arr = to_array(out)
    alpha = np.maximum(arr[:, :, 3:4], 1e-3)
    arr[:, :, :3] = np.where(arr[:, :, 3:4] > 0, arr[:, :, :3] * 255.0 / alpha, 0)
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGBA"), (ox, oy)


def bilinear_sample(arr: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Samples an HxWxC array at float coordinates; outside is transparent black."""
    h, w = arr.shape[:2]
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    out = np.zeros(sx.shape + (arr.shape[2],), dtype=np.float32)
    for dx, dy, wgt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                        (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = x0 + dx, y0 + dy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = arr[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out += np.where(ok[..., None], vals, 0) * wgt
    return out


def curve_card(card: Image.Image, amplitude: float, periods: float, phase: float) -> Image.Image:
    """Curved paper: the card bent along its width (a sine in depth), seen from the front.

    Rows move up and down by amplitude * sin(...) and the slope darkens or lightens the
    surface as a bent sheet under a lamp does."""
    arr = to_array(card)
    h, w = arr.shape[:2]
    pad = int(math.ceil(amplitude)) + 2
    yy, xx = np.mgrid[0:h + 2 * pad, 0:w].astype(np.float32)
    theta = 2 * math.pi * periods * xx / w + phase
    shift = amplitude * np.sin(theta)
    out = bilinear_sample(arr, xx, yy - pad - shift)
    slope = amplitude * 2 * math.pi * periods / w * np.cos(theta)
    shade = np.clip(1.0 - 0.5 * slope, 0.6, 1.15)
    out[:, :, :3] *= shade[..., None]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGBA")


def add_thumb(card: Image.Image, box: tuple[int, int, int, int], corner: str, fraction: float,
              rng: np.random.Generator) -> float:
    """Covers a corner of the QR with a thumb-like ellipse hiding about `fraction` of the
    code's area. Returns the fraction actually hidden."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    cx = x1 if "r" in corner else x0
    cy = y1 if "b" in corner else y0
    # Search the ellipse size that hides the fraction asked for.
    ratio = rng.uniform(1.3, 1.7)
    angle = rng.uniform(-30, 30)
    best = None
    for scale in np.linspace(0.05, 0.8, 76):
        a = side * scale * ratio
        b = side * scale
        mask = Image.new("L", card.size, 0)
        ellipse_mask(mask, cx, cy, a, b, angle)
        hidden = np.asarray(mask.crop(box), dtype=np.float32).mean() / 255.0
        if hidden > fraction:
            break
        best = (a, b, hidden, mask)
    if best is None:
        return 0.0
    a, b, hidden, mask = best
    skin = Image.new("RGB", card.size, tuple(int(v) for v in rng.uniform([190, 130, 105], [225, 170, 145])))
    # Some shading across the thumb so it is not a flat blob.
    shade = Image.linear_gradient("L").resize(card.size).rotate(angle + 90)
    skin = Image.composite(skin, Image.eval(skin, lambda v: int(v * 0.8)), shade)
    soft = mask.filter(ImageFilter.GaussianBlur(2))
    rgb = Image.composite(skin, card.convert("RGB"), soft)
    alpha = Image.fromarray(np.maximum(np.asarray(card.getchannel("A")), np.asarray(mask)))
    card.paste(rgb, (0, 0))
    card.putalpha(alpha)
    return float(hidden)


def ellipse_mask(mask: Image.Image, cx: float, cy: float, a: float, b: float, angle: float) -> None:
    """Draws a filled rotated ellipse with semi-axes a, b centred on (cx, cy)."""
    t = np.linspace(0, 2 * math.pi, 90)
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    pts = [(cx + a * math.cos(v) * ca - b * math.sin(v) * sa,
            cy + a * math.cos(v) * sa + b * math.sin(v) * ca) for v in t]
    ImageDraw.Draw(mask).polygon(pts, fill=255)


def add_glare(card: Image.Image, box: tuple[int, int, int, int], rng: np.random.Generator,
              strength: float) -> None:
    """A bright specular blob over part of the code: light added, saturating at its core."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    cx = rng.uniform(x0 + 0.25 * side, x1 - 0.25 * side)
    cy = rng.uniform(y0 + 0.25 * side, y1 - 0.25 * side)
    sx, sy = side * rng.uniform(0.12, 0.2), side * rng.uniform(0.08, 0.15)
    ang = rng.uniform(0, math.pi)
    arr = to_array(card)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xx - cx) * math.cos(ang) + (yy - cy) * math.sin(ang)
    v = -(xx - cx) * math.sin(ang) + (yy - cy) * math.cos(ang)
    blob = np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))
    arr[:, :, :3] += (strength * 255.0 * blob)[..., None]
    card.paste(to_image(arr, "RGBA"))


def place(frame: np.ndarray, layer: Image.Image, offset: tuple[int, int], shadow: bool = True) -> np.ndarray:
    """Alpha-composites an RGBA layer onto the frame at offset, with a soft drop shadow."""
    fh, fw = frame.shape[:2]
    ox, oy = offset
    lw, lh = layer.size
    full = np.zeros((fh, fw, 4), dtype=np.float32)
    # Clip the layer to the frame.
    sx0, sy0 = max(0, -ox), max(0, -oy)
    dx0, dy0 = max(0, ox), max(0, oy)
    cw, ch = min(lw - sx0, fw - dx0), min(lh - sy0, fh - dy0)
    if cw <= 0 or ch <= 0:
        return frame
    full[dy0:dy0 + ch, dx0:dx0 + cw] = to_array(layer)[sy0:sy0 + ch, sx0:sx0 + cw]
    alpha = full[:, :, 3:4] / 255.0
    out = frame.copy()
    if shadow:
        a_img = Image.fromarray(np.clip(full[:, :, 3], 0, 255).astype(np.uint8), "L")
        blur = max(2.0, 0.01 * lw)
        sh = to_array(a_img.filter(ImageFilter.GaussianBlur(blur)))
        sh = np.roll(np.roll(sh, int(blur), axis=0), int(blur), axis=1)[:, :, None] / 255.0
        out = out * (1 - 0.35 * sh)
    return out * (1 - alpha) + full[:, :, :3] * alpha


# --- Camera effects on the whole frame ----------------------------------------------------

def gaussian_blur(frame: np.ndarray, radius: float) -> np.ndarray:
    if radius <= 0:
        return frame
    return to_array(to_image(frame).filter(ImageFilter.GaussianBlur(radius)))


def noise(frame: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    # Mostly luminance noise, a little per channel, as a small sensor shows.
    lum = rng.normal(0, sigma, frame.shape[:2]).astype(np.float32)[..., None]
    chroma = rng.normal(0, sigma * 0.3, frame.shape).astype(np.float32)
    return frame + lum + chroma


def contrast(frame: np.ndarray, k: float, mid: float) -> np.ndarray:
    return mid + (frame - mid) * k


def camera(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What every photo gets: a slightly soft lens and a little sensor noise."""
    return noise(gaussian_blur(frame, 0.6), 2.0, rng)


# --- Cases ----------------------------------------------------------------------------------

class Writer:
    def __init__(self, out: Path, seed: int) -> None:
        self.out = out
        self.seed = seed
        self.entries: list[dict] = []

    def rng(self) -> np.random.Generator:
        # One generator per image, from the seed and the image's index: a case can change
        # without shifting the random draws of every image after it.
        return np.random.default_rng([self.seed, len(self.entries)])

    def save(self, frame, category: str, case: str, expected: str | None, params: dict,
             jpeg_quality: int | None = None) -> None:
        img = frame if isinstance(frame, Image.Image) else to_image(frame)
        idx = len(self.entries)
        ext = "jpg" if jpeg_quality else "png"
        name = f"{idx:04d}-{category}-{case}.{ext}"
        path = self.out / name
        if jpeg_quality:
            img.save(path, "JPEG", quality=jpeg_quality)
        else:
            img.save(path, "PNG", compress_level=1)
        self.entries.append({"file": name, "category": category, "case": case,
                             "expected": expected, "size": list(img.size), "params": params})


def card_photo(card_png: Image.Image, rng: np.random.Generator, *, width_frac: float = 0.45,
               angle: float = 0.0, tilt: tuple[float, float] = (0.0, 0.0), curve: tuple | None = None,
               thumb: tuple | None = None, glare: float | None = None) -> tuple[np.ndarray, dict]:
    """A photo of a card: the card (with its thumb or glare) bent, turned in 3D, scaled to
    width_frac of the frame, rotated in the image plane and laid on paper."""
    card, box = make_card(card_png, rng)
    info: dict = {}
    if thumb:
        info["thumb_hidden"] = round(add_thumb(card, box, thumb[0], thumb[1], rng), 3)
    if glare:
        add_glare(card, box, rng, glare)
    if curve:
        amp = curve[0] * card.height
        card = curve_card(card, amp, curve[1], rng.uniform(0, 2 * math.pi))
    w, h = card.size
    # width_frac of the frame's width, unless the card would then be taller than the frame.
    target_w = min(width_frac * FRAME_W, 0.92 * FRAME_H * w / h)
    # Corners in 3D around the card's centre; yaw (about y) then pitch (about x), seen by a
    # pinhole camera whose focal length is about a webcam's (~70 degrees across).
    yaw, pitch = (math.radians(t) for t in tilt)
    focal = FRAME_W / (2 * math.tan(math.radians(35)))
    # Distance that makes the untilted card target_w wide.
    dist = focal * w / target_w
    pts = []
    for x, y in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        x1, z1 = x * math.cos(yaw), x * math.sin(yaw)
        y2, z2 = y * math.cos(pitch) - z1 * math.sin(pitch), y * math.sin(pitch) + z1 * math.cos(pitch)
        z = dist + z2
        pts.append((focal * x1 / z, focal * y2 / z))
    a = math.radians(angle)
    pts = [(x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)) for x, y in pts]
    layer, (ox, oy) = warp_rgba(card, pts)
    lw, lh = layer.size
    # Somewhere in the frame, whole.
    cx = rng.uniform(min(lw / 2, FRAME_W / 2), max(FRAME_W - lw / 2, FRAME_W / 2))
    cy = rng.uniform(min(lh / 2, FRAME_H / 2), max(FRAME_H - lh / 2, FRAME_H / 2))
    frame = paper_background(rng)
    frame = place(frame, layer, (int(cx - lw / 2), int(cy - lh / 2)))
    return frame, info


def card_cases(wr: Writer, cards: list[tuple[Image.Image, str]]) -> None:
    def each(category, case, params, effects=None, jpeg=None, **photo):
        for n, (png, token) in enumerate(cards):
            rng = wr.rng()
            photo_args = {"width_frac": rng.uniform(0.28, 0.4), **photo}
            frame, info = card_photo(png, rng, **photo_args)
            frame = camera(frame, rng)
            if effects:
                frame = effects(frame, rng)
            wr.save(frame, category, f"{case}-card{n + 1}", token,
                    {**params, **info, "width_frac": round(photo_args["width_frac"], 3)}, jpeg)

    each("card-clean", "upright", {})
    for angle in (90, 180, 270, 15, -25, 40):
        each("card-rotate", f"rot{angle}", {"angle": angle}, angle=angle)
    for yaw, pitch in ((25, 0), (0, 30), (35, 20), (-45, 10), (20, -45)):
        each("card-perspective", f"yaw{yaw}-pitch{pitch}", {"yaw": yaw, "pitch": pitch},
             tilt=(yaw, pitch))
    for r in (1.0, 1.5, 2.0, 2.5):
        each("card-blur", f"gauss{r}", {"radius": r}, lambda f, g, r=r: gaussian_blur(f, r))
    for s in (12, 20, 30):
        each("card-noise", f"sigma{s}", {"sigma": s}, lambda f, g, s=s: noise(f, s, g))
    for k, mid in ((0.35, 150), (0.22, 128), (0.3, 60)):
        each("card-contrast", f"k{k}-mid{mid}", {"k": k, "mid": mid},
             lambda f, g, k=k, mid=mid: contrast(f, k, mid))
    for frac in (0.15, 0.18, 0.22):
        each("card-small", f"w{int(frac * 100)}", {"card_width": frac}, width_frac=frac,
             angle=5.0)
    for q in (30, 45, 60):
        each("card-jpeg", f"q{q}", {"quality": q}, jpeg=q)
    for amp, periods in ((0.03, 0.5), (0.05, 1.0), (0.08, 0.75)):
        each("card-curved", f"amp{amp}-per{periods}", {"amplitude": amp, "periods": periods},
             curve=(amp, periods))
    for strength in (0.5, 0.8, 1.1):
        each("card-glare", f"s{strength}", {"strength": strength}, glare=strength)
    # The bottom-right corner has no finder pattern; the bottom-left and top-right cases hide
    # part of one finder (the other two stay whole).
    for corner, frac in (("br", 0.08), ("br", 0.14), ("br", 0.2), ("bl", 0.08), ("tr", 0.12)):
        each("card-thumb", f"{corner}{int(frac * 100)}", {"corner": corner, "fraction": frac},
             thumb=(corner, frac))
    # Combinations.
    each("card-combo", "rot30-blur1.5-jpeg50", {"angle": 30, "radius": 1.5, "quality": 50},
         lambda f, g: gaussian_blur(f, 1.5), jpeg=50, angle=30)
    each("card-combo", "tilt30-noise20-contrast0.4", {"yaw": 30, "sigma": 20, "k": 0.4},
         lambda f, g: noise(contrast(f, 0.4, 140), 20, g), tilt=(30, 0))
    each("card-combo", "small20-jpeg45", {"card_width": 0.2, "quality": 45}, jpeg=45,
         width_frac=0.2, angle=-10)
    each("card-combo", "curved-glare-rot20", {"amplitude": 0.05, "strength": 0.7, "angle": 20},
         curve=(0.05, 0.75), glare=0.7, angle=20)
    each("card-combo", "thumb12-blur1.2-noise12", {"fraction": 0.12, "radius": 1.2, "sigma": 12},
         lambda f, g: noise(gaussian_blur(f, 1.2), 12, g), thumb=("br", 0.12))


EC_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
             "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
# Printable ASCII without characters that a reader might treat specially in a line of output.
ALPHABET = string.ascii_letters + string.digits + " -_.:/?=+*%$#@!,;()"


def qr_text(rng: np.random.Generator, version: int, ec: int) -> str:
    """Byte-mode text that fills 60-90% of the version's capacity, so the code is that version."""
    bits = qrcode.util.BIT_LIMIT_TABLE[ec][version]
    header = 4 + (8 if version < 10 else 16)
    capacity = (bits - header) // 8
    # Smallest length that does not fit the version below (so the code is this version).
    low = 1 if version == 1 else (qrcode.util.BIT_LIMIT_TABLE[ec][version - 1]
                                  - 4 - (8 if version - 1 < 10 else 16)) // 8 + 1
    n = int(rng.integers(max(low, int(0.6 * capacity)), capacity))
    text = "".join(rng.choice(list(ALPHABET), n))
    # Mode selection may pick alphanumeric/numeric for some strings; force a lowercase letter
    # in front so the whole string is byte mode, and strip trailing spaces some readers trim.
    return ("q" + text[1:]).strip() + "z"


def qr_image(text: str, version: int, ec: int) -> Image.Image:
    code = qrcode.QRCode(version=version, error_correction=ec, box_size=1, border=4)
    code.add_data(text, optimize=0)
    code.make(fit=False)
    modules = len(code.get_matrix())
    box = max(1, min(8, 680 // modules))
    img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return img.resize((modules * box, modules * box), Image.NEAREST), box


def qr_cases(wr: Writer) -> None:
    versions = (1, 2, 5, 10, 15, 20, 25, 30, 35, 40)

    def one(category, case, version, ec_name, invert=False, mirror=False):
        rng = wr.rng()
        ec = EC_LEVELS[ec_name]
        text = qr_text(rng, version, ec)
        img, box = qr_image(text, version, ec)
        if invert:
            img = Image.eval(img, lambda v: 255 - v)
        if mirror:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        # Printed on paper: black ink is not black, white paper is not white.
        arr = to_array(img)[..., None].repeat(3, axis=2) * (200 / 255) + 25
        frame = paper_background(rng)
        s = img.width
        x = int(rng.uniform(0, FRAME_W - s))
        y = int(rng.uniform(0, max(1, FRAME_H - s)))
        frame[y:y + s, x:x + s] = arr * (frame[y:y + s, x:x + s] / 230.0)
        frame = camera(frame, rng)
        wr.save(frame, category, case, text,
                {"version": version, "ec": ec_name, "px_per_module": box,
                 "inverted": invert, "mirrored": mirror, "length": len(text)})

    for version in versions:
        for ec_name in EC_LEVELS:
            one(f"qr-ec{ec_name}", f"v{version}-{ec_name}", version, ec_name)
    ecs = list(EC_LEVELS)
    for i, version in enumerate(versions):
        one("qr-inverted", f"v{version}-{ecs[i % 4]}", version, ecs[i % 4], invert=True)
    for i, version in enumerate(versions):
        one("qr-mirrored", f"v{version}-{ecs[(i + 1) % 4]}", version, ecs[(i + 1) % 4], mirror=True)


def negative_cases(wr: Writer) -> None:
    def save(case, frame, params=None):
        wr.save(frame, "negative", case, None, params or {})

    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    # Noise of several kinds.
    rng = wr.rng()
    save("gaussian-noise", np.repeat(rng.normal(128, 50, (FRAME_H, FRAME_W, 1)), 3, axis=2))
    rng = wr.rng()
    save("colour-noise", rng.uniform(0, 255, (FRAME_H, FRAME_W, 3)))
    for cell in (4, 8):
        rng = wr.rng()
        blocks = (rng.random((FRAME_H // cell + 1, FRAME_W // cell + 1)) > 0.5) * 255.0
        big = np.kron(blocks, np.ones((cell, cell)))[:FRAME_H, :FRAME_W]
        save(f"block-noise{cell}", camera(np.repeat(big[..., None], 3, axis=2), rng), {"cell": cell})
    # Gradients.
    rng = wr.rng()
    save("linear-gradient", camera(np.repeat((xx / FRAME_W * 255)[..., None], 3, axis=2), rng))
    rng = wr.rng()
    r = np.hypot(xx - 640, yy - 360) / 734
    save("radial-gradient", camera(np.stack([255 * (1 - r), 180 * r, 90 + 0 * r], axis=2), rng))
    rng = wr.rng()
    save("blank-paper", camera(paper_background(rng), rng))
    # Text-like stripes: rows of dark "words" on paper, a page held up to the camera.
    for line_h in (10, 18):
        rng = wr.rng()
        img = to_image(paper_background(rng))
        draw = ImageDraw.Draw(img)
        y = 30
        while y < FRAME_H - 30:
            x = 40
            while x < FRAME_W - 60:
                word = int(rng.uniform(15, 90))
                draw.rectangle([x, y, x + word, y + line_h], fill=(30, 30, 35))
                x += word + int(rng.uniform(8, 16))
            y += int(line_h * 1.8)
        save(f"text-stripes{line_h}", camera(to_array(img), rng), {"line_height": line_h})
    # A photo-like scene: sky, ground, shapes, soft.
    for k in range(2):
        rng = wr.rng()
        sky = np.stack([120 + 80 * yy / FRAME_H, 160 + 60 * yy / FRAME_H, 230 + 0 * yy], axis=2)
        img = to_image(sky)
        draw = ImageDraw.Draw(img)
        draw.rectangle([0, int(FRAME_H * rng.uniform(0.5, 0.7)), FRAME_W, FRAME_H], fill=(70, 110, 50))
        for _ in range(25):
            x0, y0 = rng.uniform(0, FRAME_W), rng.uniform(0, FRAME_H)
            s = rng.uniform(20, 200)
            fill = tuple(int(v) for v in rng.uniform(0, 255, 3))
            if rng.random() < 0.5:
                draw.ellipse([x0, y0, x0 + s, y0 + s * rng.uniform(0.5, 1.5)], fill=fill)
            else:
                draw.rectangle([x0, y0, x0 + s, y0 + s * rng.uniform(0.3, 2)], fill=fill)
        frame = gaussian_blur(to_array(img), 1.5)
        save(f"scene{k + 1}", camera(frame, rng))
    # A 1D barcode like a product label (EAN-like bars).
    for k in range(2):
        rng = wr.rng()
        frame = paper_background(rng)
        x = 300 + 40 * k
        top, bottom = 200, 480
        while x < 980:
            bar = int(rng.integers(1, 5)) * 4
            gap = int(rng.integers(1, 5)) * 4
            frame[top:bottom, x:x + bar] = 25
            x += bar + gap
        save(f"barcode{k + 1}", camera(frame, rng))
    # A checkerboard, and a QR lookalike: three finder patterns with random modules between,
    # no format information a decoder could accept.
    rng = wr.rng()
    check = (((xx // 40).astype(int) + (yy // 40).astype(int)) % 2) * 200.0 + 30
    save("checkerboard", camera(np.repeat(check[..., None], 3, axis=2), rng))
    for k, n in enumerate((25, 41)):
        rng = wr.rng()
        mods = (rng.random((n, n)) > 0.5).astype(np.float32)
        finder = np.ones((7, 7), dtype=np.float32)
        finder[1:6, 1:6] = 0
        finder[2:5, 2:5] = 1
        for (r, c) in ((0, 0), (0, n - 7), (n - 7, 0)):
            mods[max(r - 1, 0):r + 8, max(c - 1, 0):c + 8] = 0
            mods[r:r + 7, c:c + 7] = finder
        box = 560 // (n + 8)
        code = np.pad(mods, 4) * -1 + 1  # 1 = white
        img = np.kron(code, np.ones((box, box))) * 200 + 25
        frame = paper_background(rng)
        s = img.shape[0]
        frame[80:80 + s, 300:300 + s] = img[..., None]
        save(f"qr-lookalike{n}", camera(frame, rng), {"modules": n})
    rng = wr.rng()
    save("black", camera(np.full((FRAME_H, FRAME_W, 3), 8.0), rng))
    rng = wr.rng()
    save("white", camera(np.full((FRAME_H, FRAME_W, 3), 250.0), rng))


def fake_cards(out: Path, count: int) -> list[tuple[Image.Image, str]]:
    """Cards that look like tessera's (version-9-ish, EC Q, TS1: + base45), for testing the
    generator before tessera builds. Their tokens do not verify."""
    rng = np.random.default_rng(12345)
    b45 = string.digits + string.ascii_uppercase + " $%*+-./:"
    cards = []
    for i in range(count):
        token = "TS1:" + "".join(rng.choice(list(b45), 160))
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q,
                             box_size=CARD_PX_PER_MODULE, border=CARD_QUIET_MODULES)
        code.add_data(token)
        code.make(fit=True)
        img = code.make_image().get_image().convert("RGB")
        img.save(out / f"fake-card-{i + 1}.png")
        cards.append((img, token))
    return cards


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--cards", type=Path, help="JSON list of {png, token}")
    ap.add_argument("--fake-cards", type=int, default=0)
    ap.add_argument("--seed", type=int, default=20250601)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.cards:
        listed = json.loads(args.cards.read_text())
        base = args.cards.parent
        cards = [(Image.open(base / c["png"]).convert("RGB"), c["token"]) for c in listed]
    elif args.fake_cards:
        cards = fake_cards(args.out, args.fake_cards)
    else:
        ap.error("give --cards or --fake-cards")
    wr = Writer(args.out, args.seed)
    card_cases(wr, cards)
    qr_cases(wr)
    negative_cases(wr)
    manifest = {"seed": args.seed, "frame": [FRAME_W, FRAME_H], "images": wr.entries}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"generate: {len(wr.entries)} images in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
