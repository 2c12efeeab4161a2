//! HEIF (HEIC) metadata stripping at the container level. A HEIF file is a sequence of
//! ISO-BMFF boxes; its pictures and its metadata are both *items*, listed in the `meta` box
//! (`iinf` names each item's type, `iloc` says where its bytes are, `iref` links them,
//! `ipma` gives them properties) and stored in `mdat` (or `idat`). EXIF is an item of type
//! `Exif`, XMP one of type `mime`; a `uri ` item can carry anything.
//!
//! The rewrite keeps what makes the pictures, by allowlist, and nothing else: `ftyp` with
//! its known brands, `mdat`, and a `meta` of `hdlr` (its name emptied), `pitm`, `iloc`,
//! `iinf`, `iref`, `iprp` and `idat`. Items that are not pictures (EXIF, XMP, URIs,
//! regions, anything unknown) leave `iinf`, `iloc`, `iref` and `ipma`, and item names are
//! emptied. Properties not needed to decode or show a picture (a user description,
//! anything unknown) become empty `free` boxes, so the property numbers items use stay
//! right. Every byte of `mdat` and `idat` that no kept item's extent covers is overwritten
//! with zeros: the removed items' bytes, and anything hidden between the pictures.
//! Everything else at the top level (`free`, `uuid`, a `moov` track) and in `meta` (XML
//! boxes, entity groups, data references) goes. Coded pictures are copied byte for byte,
//! so the pixels cannot change; as `ftyp` and `meta` shrink, the file offsets in `iloc`
//! move by the same amount. Orientation lives in the `irot` and `imir` properties, which
//! stay: any EXIF orientation is ignored by HEIF readers, so the stripped file shows as it
//! did. A duplicated item id or box, a picture's data in another file, or more items than
//! any camera writes, is refused.
//!
//! Hand-written because no maintained crate rewrites a HEIF container without re-encoding
//! (libheif can only write files it encodes); the structure is a few length-prefixed boxes.

use std::collections::HashSet;

use crate::error::{MediaError, Result};

fn damaged(what: &str) -> MediaError {
    MediaError::damaged(format!("its HEIF structure is broken: {what}"))
}

/// Item types that are pictures or are made of them; every other item goes.
const PICTURE_ITEMS: [&[u8; 4]; 6] = [b"hvc1", b"av01", b"jpeg", b"grid", b"iden", b"iovl"];
/// Properties that decoding or display needs; any other becomes an empty `free` box.
const KEPT_PROPERTIES: [&[u8; 4]; 17] = [
    b"hvcC", b"av1C", b"jpgC", b"ispe", b"colr", b"pixi", b"irot", b"imir", b"clap", b"pasp",
    b"auxC", b"rloc", b"lsel", b"a1op", b"a1lx", b"clli", b"mdcv",
];
/// Brands kept in `ftyp`; anything else written there goes.
const KNOWN_BRANDS: [&[u8; 4]; 17] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1", b"miaf",
    b"MiHE", b"MiHA", b"MiHB", b"MiPr", b"MiAn", b"avif", b"iso8",
];
/// Children of `meta` that decoding needs; the rest are dropped.
const KEPT_IN_META: [&[u8; 4]; 7] = [
    b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"iprp", b"idat",
];
/// Far more items and extents than a camera writes (an iPhone photo has a few dozen
/// tiles): a file that declares more is refused before its lists are built.
const MAX_ITEMS: u64 = 4096;
const MAX_EXTENTS: u64 = 65_536;

/// One box: its type and where its header and content lie in the file.
#[derive(Debug, Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    start: usize,
    content: usize,
    end: usize,
}

impl Bx {
    /// Whether the header is the plain 8 bytes (no 64-bit size, no `uuid` type), so the box
    /// can be written again from its type and content.
    fn plain_header(&self) -> bool {
        self.content - self.start == 8
    }
}

/// The boxes laid end to end in `bytes[from..to]`.
fn boxes(bytes: &[u8], from: usize, to: usize) -> Result<Vec<Bx>> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let mut r = Reader::new(bytes, at, to);
        let size32 = r.u32()?;
        let kind = r.fourcc()?;
        let size = match size32 {
            0 => (to - at) as u64,
            1 => r.u64()?,
            n => u64::from(n),
        };
        if &kind == b"uuid" {
            r.skip(16)?;
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| at.checked_add(s))
            .filter(|&end| end <= to && end >= r.at)
            .ok_or_else(|| damaged("a box runs past its container"))?;
        out.push(Bx {
            kind,
            start: at,
            content: r.at,
            end,
        });
        at = end;
    }
    Ok(out)
}

/// A bounds-checked big-endian reader over `bytes[at..end]`.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], at: usize, end: usize) -> Reader<'a> {
        Reader { bytes, at, end }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let stop = self
            .at
            .checked_add(n)
            .filter(|&s| s <= self.end)
            .ok_or_else(|| damaged("a box is cut short"))?;
        let out = &self.bytes[self.at..stop];
        self.at = stop;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    /// An unsigned number of `width` bytes (0, 1, 2, 4 or 8).
    fn uint(&mut self, width: usize) -> Result<u64> {
        Ok(self
            .take(width)?
            .iter()
            .fold(0u64, |n, &b| (n << 8) | u64::from(b)))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(self.uint(2)? as u16)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(self.uint(4)? as u32)
    }

    fn u64(&mut self) -> Result<u64> {
        self.uint(8)
    }

    fn fourcc(&mut self) -> Result<[u8; 4]> {
        let b = self.take(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    /// A full box's version and flags.
    fn full(&mut self) -> Result<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }
}

fn put_uint(out: &mut Vec<u8>, value: u64, width: usize) {
    out.extend_from_slice(&value.to_be_bytes()[8 - width..]);
}

/// Wraps `content` in a box of `kind` (a full box when `full` is given).
fn boxed(kind: &[u8; 4], full: Option<(u8, u32)>, content: &[u8]) -> Vec<u8> {
    let header = 8 + if full.is_some() { 4 } else { 0 };
    let mut out = Vec::with_capacity(header + content.len());
    // A rebuilt box is never much bigger than the original, which was bounded by the file
    // (at most the 64 MB a photo may have).
    put_uint(&mut out, (header + content.len()) as u64, 4);
    out.extend_from_slice(kind);
    if let Some((version, flags)) = full {
        put_uint(&mut out, (u64::from(version) << 24) | u64::from(flags), 4);
    }
    out.extend_from_slice(content);
    out
}

/// Where one item's bytes are, as `iloc` says.
#[derive(Debug, Clone)]
struct Location {
    item: u32,
    method: u8,
    data_ref: u16,
    base: u64,
    extents: Vec<(u64, u64, u64)>,
}

impl Location {
    /// The byte ranges of its extents, `[start, end)` from its origin (the file, or `idat`'s
    /// content); a length of 0 runs to `limit`.
    fn ranges(&self, limit: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.extents.iter().map(move |&(_, offset, length)| {
            let start = self.base.saturating_add(offset);
            let end = if length == 0 {
                limit
            } else {
                start.saturating_add(length)
            };
            (start, end)
        })
    }
}

/// The `iloc` box, parsed.
#[derive(Debug, Clone)]
struct Iloc {
    version: u8,
    flags: u32,
    offset_size: usize,
    length_size: usize,
    base_size: usize,
    index_size: usize,
    items: Vec<Location>,
}

fn field_width(n: u8) -> Result<usize> {
    match n {
        0 | 4 | 8 => Ok(usize::from(n)),
        _ => Err(damaged("an item location has a field of unknown size")),
    }
}

fn parse_iloc(bytes: &[u8], b: Bx) -> Result<Iloc> {
    let mut r = Reader::new(bytes, b.content, b.end);
    let (version, flags) = r.full()?;
    if version > 2 {
        return Err(damaged("unknown item location version"));
    }
    let sizes = r.u8()?;
    let more = r.u8()?;
    let offset_size = field_width(sizes >> 4)?;
    let length_size = field_width(sizes & 15)?;
    let base_size = field_width(more >> 4)?;
    let index_size = if version >= 1 {
        field_width(more & 15)?
    } else {
        0
    };
    let count = if version < 2 { r.uint(2)? } else { r.uint(4)? };
    if count > MAX_ITEMS {
        return Err(damaged("it declares more items than any camera writes"));
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let mut extents_seen = 0u64;
    for _ in 0..count {
        let item = if version < 2 { r.uint(2)? } else { r.uint(4)? } as u32;
        if !seen.insert(item) {
            return Err(damaged("an item is located twice"));
        }
        let method = if version >= 1 {
            (r.u16()? & 15) as u8
        } else {
            0
        };
        let data_ref = r.u16()?;
        let base = r.uint(base_size)?;
        let extent_count = r.u16()?;
        extents_seen += u64::from(extent_count);
        // Extents of no bytes at all would cost the file nothing to repeat.
        if extents_seen > MAX_EXTENTS
            || (offset_size + length_size + index_size == 0 && extent_count > 1)
        {
            return Err(damaged("it declares more extents than any camera writes"));
        }
        let mut extents = Vec::new();
        for _ in 0..extent_count {
            let index = r.uint(index_size)?;
            let offset = r.uint(offset_size)?;
            let length = r.uint(length_size)?;
            extents.push((index, offset, length));
        }
        items.push(Location {
            item,
            method,
            data_ref,
            base,
            extents,
        });
    }
    Ok(Iloc {
        version,
        flags,
        offset_size,
        length_size,
        base_size,
        index_size,
        items,
    })
}

impl Iloc {
    /// Writes the kept items back, file offsets moved by `moved(old, length) -> new`.
    fn write(
        &self,
        removed: &HashSet<u32>,
        moved: &dyn Fn(u64, u64) -> Result<u64>,
    ) -> Result<Vec<u8>> {
        let id_width = if self.version < 2 { 2 } else { 4 };
        let kept: Vec<&Location> = self
            .items
            .iter()
            .filter(|l| !removed.contains(&l.item))
            .collect();
        let mut out = Vec::new();
        out.push(((self.offset_size as u8) << 4) | self.length_size as u8);
        out.push(((self.base_size as u8) << 4) | self.index_size as u8);
        put_uint(&mut out, kept.len() as u64, id_width);
        for l in kept {
            if l.data_ref != 0 {
                return Err(damaged("a picture's data is in another file"));
            }
            put_uint(&mut out, u64::from(l.item), id_width);
            if self.version >= 1 {
                put_uint(&mut out, u64::from(l.method), 2);
            }
            put_uint(&mut out, u64::from(l.data_ref), 2);
            let mut extents = l.extents.clone();
            let mut base = l.base;
            if l.method == 0 {
                // One item's extents lie in one box, so they all move by the same amount;
                // it goes on the base offset when there is one, else on each extent.
                for (i, (_, offset, length)) in l.extents.iter().enumerate() {
                    let old = l
                        .base
                        .checked_add(*offset)
                        .ok_or_else(|| damaged("an item offset overflows"))?;
                    let new = moved(old, *length)?;
                    if self.base_size > 0 {
                        if i == 0 {
                            base = new
                                .checked_sub(*offset)
                                .ok_or_else(|| damaged("an item lies before its base"))?;
                        } else if base.checked_add(*offset) != Some(new) {
                            return Err(damaged("an item's extents lie in different boxes"));
                        }
                    } else {
                        extents[i].1 = new;
                    }
                }
            }
            put_uint(&mut out, base, self.base_size);
            put_uint(&mut out, extents.len() as u64, 2);
            for (index, offset, length) in extents {
                put_uint(&mut out, index, self.index_size);
                put_uint(&mut out, offset, self.offset_size);
                put_uint(&mut out, length, self.length_size);
            }
        }
        Ok(boxed(b"iloc", Some((self.version, self.flags)), &out))
    }
}

/// The items of `iinf` that are not pictures, and the box rebuilt without them (and with
/// every item's name emptied).
fn rewrite_iinf(bytes: &[u8], b: Bx) -> Result<(HashSet<u32>, Vec<u8>)> {
    let mut r = Reader::new(bytes, b.content, b.end);
    let (version, flags) = r.full()?;
    let declared = if version == 0 { r.uint(2)? } else { r.uint(4)? };
    if declared > MAX_ITEMS {
        return Err(damaged("it declares more items than any camera writes"));
    }
    let entries = boxes(bytes, r.at, b.end)?;
    if entries.len() as u64 != declared || entries.iter().any(|e| &e.kind != b"infe") {
        return Err(damaged("the item list does not hold what it declares"));
    }
    let mut removed = HashSet::new();
    let mut seen = HashSet::new();
    let mut kept = Vec::new();
    for e in &entries {
        let mut r = Reader::new(bytes, e.content, e.end);
        let (v, f) = r.full()?;
        if v < 2 {
            return Err(damaged("an item entry of a version too old for HEIF"));
        }
        let id_width = if v == 2 { 2 } else { 4 };
        let item = r.uint(id_width)? as u32;
        if !seen.insert(item) {
            return Err(damaged("two items have the same number"));
        }
        let protection = r.u16()?;
        let item_type = r.fourcc()?;
        if !PICTURE_ITEMS.contains(&&item_type) {
            removed.insert(item);
            continue;
        }
        let mut content = Vec::new();
        put_uint(&mut content, u64::from(item), id_width);
        put_uint(&mut content, u64::from(protection), 2);
        content.extend_from_slice(&item_type);
        content.push(0);
        kept.push(boxed(b"infe", Some((v, f)), &content));
    }
    let mut content = Vec::new();
    put_uint(
        &mut content,
        kept.len() as u64,
        if version == 0 { 2 } else { 4 },
    );
    content.extend(kept.concat());
    Ok((removed, boxed(b"iinf", Some((version, flags)), &content)))
}

/// `iref` without references from a removed item, or to one.
fn rewrite_iref(bytes: &[u8], b: Bx, removed: &HashSet<u32>) -> Result<Vec<u8>> {
    let mut r = Reader::new(bytes, b.content, b.end);
    let (version, flags) = r.full()?;
    let id_width = if version == 0 { 2 } else { 4 };
    let mut content = Vec::new();
    for reference in boxes(bytes, r.at, b.end)? {
        if !reference.plain_header() {
            return Err(damaged("an item reference of an unknown form"));
        }
        let mut r = Reader::new(bytes, reference.content, reference.end);
        let from = r.uint(id_width)? as u32;
        let count = r.u16()?;
        let mut to = Vec::new();
        for _ in 0..count {
            let id = r.uint(id_width)? as u32;
            if !removed.contains(&id) {
                to.push(id);
            }
        }
        if removed.contains(&from) || to.is_empty() {
            continue;
        }
        let mut body = Vec::new();
        put_uint(&mut body, u64::from(from), id_width);
        put_uint(&mut body, to.len() as u64, 2);
        for id in to {
            put_uint(&mut body, u64::from(id), id_width);
        }
        content.extend(boxed(&reference.kind, None, &body));
    }
    Ok(boxed(b"iref", Some((version, flags)), &content))
}

/// `ipco` with only the properties decoding needs (the others emptied into `free` boxes, so
/// the numbering holds), and `ipma` without the removed items.
fn rewrite_iprp(bytes: &[u8], b: Bx, removed: &HashSet<u32>) -> Result<Vec<u8>> {
    let children = unique_children(bytes, b.content, b.end, &[b"ipco", b"ipma"])?;
    let mut content = Vec::new();
    for child in children {
        match &child.kind {
            b"ipco" => {
                let mut properties = Vec::new();
                for property in boxes(bytes, child.content, child.end)? {
                    if KEPT_PROPERTIES.contains(&&property.kind) && property.plain_header() {
                        properties.extend_from_slice(&bytes[property.start..property.end]);
                    } else {
                        properties.extend(boxed(b"free", None, &[]));
                    }
                }
                content.extend(boxed(b"ipco", None, &properties));
            }
            b"ipma" => {
                let mut r = Reader::new(bytes, child.content, child.end);
                let (version, flags) = r.full()?;
                let id_width = if version < 1 { 2 } else { 4 };
                let association_width = if flags & 1 == 1 { 2 } else { 1 };
                let count = r.u32()?;
                let mut kept = Vec::new();
                let mut kept_count = 0u32;
                for _ in 0..count {
                    let start = r.at;
                    let item = r.uint(id_width)? as u32;
                    let associations = r.u8()?;
                    r.skip(usize::from(associations) * association_width)?;
                    if !removed.contains(&item) {
                        kept.extend_from_slice(&bytes[start..r.at]);
                        kept_count += 1;
                    }
                }
                let mut body = Vec::new();
                put_uint(&mut body, u64::from(kept_count), 4);
                body.extend(kept);
                content.extend(boxed(b"ipma", Some((version, flags)), &body));
            }
            _ => {}
        }
    }
    Ok(boxed(b"iprp", None, &content))
}

/// `hdlr` with its handler type and no name.
fn rewrite_hdlr(bytes: &[u8], b: Bx) -> Result<Vec<u8>> {
    let mut r = Reader::new(bytes, b.content, b.end);
    let (version, flags) = r.full()?;
    r.skip(4)?;
    let handler = r.fourcc()?;
    let mut content = vec![0; 4];
    content.extend_from_slice(&handler);
    content.extend_from_slice(&[0; 13]);
    Ok(boxed(b"hdlr", Some((version, flags)), &content))
}

/// `ftyp` with its major brand and only the compatible brands Tessera knows.
fn rewrite_ftyp(bytes: &[u8], b: Bx) -> Result<Vec<u8>> {
    let mut r = Reader::new(bytes, b.content, b.end);
    let major = r.fourcc()?;
    r.skip(4)?;
    let mut content = major.to_vec();
    content.extend_from_slice(&[0; 4]);
    while r.at < b.end {
        let brand = r.fourcc()?;
        if KNOWN_BRANDS.contains(&&brand) {
            content.extend_from_slice(&brand);
        }
    }
    Ok(boxed(b"ftyp", None, &content))
}

/// The children of `bytes[from..to]`, refusing two of any kind in `unique`.
fn unique_children(bytes: &[u8], from: usize, to: usize, unique: &[&[u8; 4]]) -> Result<Vec<Bx>> {
    let children = boxes(bytes, from, to)?;
    for kind in unique {
        if children.iter().filter(|c| &&c.kind == kind).count() > 1 {
            return Err(damaged("a box that may appear once appears twice"));
        }
    }
    Ok(children)
}

/// The children of `meta` (its version and flags first), one of each kind decoding needs.
fn meta_children(bytes: &[u8], meta: Bx) -> Result<((u8, u32), Vec<Bx>)> {
    let mut r = Reader::new(bytes, meta.content, meta.end);
    let full = r.full()?;
    Ok((full, unique_children(bytes, r.at, meta.end, &KEPT_IN_META)?))
}

/// Overwrites with zeros every byte of `region` (at `origin`) that no range in `keep` covers.
fn zero_outside(region: &mut [u8], origin: u64, keep: &mut [(u64, u64)]) {
    keep.sort_unstable();
    let end = origin + region.len() as u64;
    let mut at = origin;
    for &(start, stop) in keep.iter() {
        if start > at {
            let (from, to) = (at - origin, start.min(end) - origin);
            region[from as usize..to as usize].fill(0);
        }
        at = at.max(stop.min(end));
        if at >= end {
            return;
        }
    }
    region[(at - origin) as usize..].fill(0);
}

/// Zeroes, in `bytes` (a copy of the file), every byte of the data boxes and of `idat` that
/// no kept item's extent covers.
fn blank_unreferenced(
    bytes: &mut [u8],
    iloc: &Iloc,
    removed: &HashSet<u32>,
    idat: Option<Bx>,
    data_boxes: &[Bx],
) {
    let kept = || iloc.items.iter().filter(|l| !removed.contains(&l.item));
    let file_end = bytes.len() as u64;
    let mut in_file: Vec<(u64, u64)> = kept()
        .filter(|l| l.method == 0)
        .flat_map(|l| l.ranges(file_end).collect::<Vec<_>>())
        .collect();
    for b in data_boxes {
        zero_outside(&mut bytes[b.content..b.end], b.content as u64, &mut in_file);
    }
    if let Some(idat) = idat {
        let idat_end = (idat.end - idat.content) as u64;
        let mut in_idat: Vec<(u64, u64)> = kept()
            .filter(|l| l.method == 1)
            .flat_map(|l| l.ranges(idat_end).collect::<Vec<_>>())
            .collect();
        zero_outside(&mut bytes[idat.content..idat.end], 0, &mut in_idat);
    }
}

/// The rebuilt `meta` box, with file offsets moved by `moved`.
fn rewrite_meta(
    bytes: &[u8],
    meta: Bx,
    moved: &dyn Fn(u64, u64) -> Result<u64>,
) -> Result<Vec<u8>> {
    let ((version, flags), children) = meta_children(bytes, meta)?;
    let find = |kind: &[u8; 4]| children.iter().find(|c| &c.kind == kind).copied();
    let iinf = find(b"iinf").ok_or_else(|| damaged("no item list"))?;
    let iloc = find(b"iloc").ok_or_else(|| damaged("no item locations"))?;
    let (removed, new_iinf) = rewrite_iinf(bytes, iinf)?;
    let locations = parse_iloc(bytes, iloc)?;
    let mut content = Vec::new();
    for child in &children {
        if !KEPT_IN_META.contains(&&child.kind) {
            continue;
        }
        match &child.kind {
            b"hdlr" => content.extend(rewrite_hdlr(bytes, *child)?),
            b"iinf" => content.extend_from_slice(&new_iinf),
            b"iloc" => content.extend(locations.write(&removed, moved)?),
            b"iref" => content.extend(rewrite_iref(bytes, *child, &removed)?),
            b"iprp" => content.extend(rewrite_iprp(bytes, *child, &removed)?),
            _ => content.extend_from_slice(&bytes[child.start..child.end]),
        }
    }
    Ok(boxed(b"meta", Some((version, flags)), &content))
}

/// Strips a HEIF file of everything but its pictures; see the module notes.
pub(crate) fn strip(original: &[u8]) -> Result<Vec<u8>> {
    let top = boxes(original, 0, original.len())?;
    let Some(&ftyp) = top.first().filter(|b| &b.kind == b"ftyp") else {
        return Err(damaged("it does not start with its file type"));
    };
    let mut metas = top.iter().filter(|b| &b.kind == b"meta");
    let (Some(&meta), None) = (metas.next(), metas.next()) else {
        return Err(damaged("it needs exactly one item box"));
    };
    let data_boxes: Vec<Bx> = top.iter().filter(|b| &b.kind == b"mdat").copied().collect();

    // What no kept item points at is zeroed first, in a copy; then the boxes are laid out.
    let mut bytes = original.to_vec();
    {
        let (_, children) = meta_children(original, meta)?;
        let find = |kind: &[u8; 4]| children.iter().find(|c| &c.kind == kind).copied();
        let iinf = find(b"iinf").ok_or_else(|| damaged("no item list"))?;
        let iloc = find(b"iloc").ok_or_else(|| damaged("no item locations"))?;
        let (removed, _) = rewrite_iinf(original, iinf)?;
        let locations = parse_iloc(original, iloc)?;
        blank_unreferenced(&mut bytes, &locations, &removed, find(b"idat"), &data_boxes);
    }

    let new_ftyp = rewrite_ftyp(&bytes, ftyp)?;
    // The new meta's size does not depend on the offsets written in it: a first pass with
    // offsets unchanged gives it, and with it where every kept box now starts.
    let unchanged = |old: u64, _: u64| Ok(old);
    let sized = rewrite_meta(&bytes, meta, &unchanged)?.len();
    // The kept boxes in their order: ftyp, meta and the data boxes, wherever they were.
    let kept: Vec<Bx> = top
        .iter()
        .filter(|b| [b"ftyp", b"meta", b"mdat"].contains(&&b.kind))
        .copied()
        .collect();
    let new_length = |b: &Bx| match &b.kind {
        b"ftyp" => new_ftyp.len(),
        b"meta" => sized,
        _ => b.end - b.start,
    };
    let mut layout = Vec::with_capacity(kept.len());
    let mut at = 0;
    for b in &kept {
        layout.push((*b, at));
        at += new_length(b);
    }
    let moved = |old: u64, length: u64| -> Result<u64> {
        layout
            .iter()
            .find(|(b, _)| {
                &b.kind == b"mdat"
                    && old >= b.content as u64
                    && old.saturating_add(length) <= b.end as u64
            })
            .map(|(b, new)| old - b.start as u64 + *new as u64)
            .ok_or_else(|| damaged("a picture's data lies outside the file's data boxes"))
    };
    let new_meta = rewrite_meta(&bytes, meta, &moved)?;

    let mut out = Vec::with_capacity(at);
    for b in &kept {
        match &b.kind {
            b"ftyp" => out.extend_from_slice(&new_ftyp),
            b"meta" => out.extend_from_slice(&new_meta),
            _ => out.extend_from_slice(&bytes[b.start..b.end]),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(kind: &[u8; 4], version: u8, content: &[u8]) -> Vec<u8> {
        boxed(kind, Some((version, 0)), content)
    }

    fn infe(item: u16, kind: &[u8; 4], name: &str) -> Vec<u8> {
        let mut c = item.to_be_bytes().to_vec();
        c.extend_from_slice(&[0, 0]);
        c.extend_from_slice(kind);
        c.extend_from_slice(name.as_bytes());
        c.push(0);
        full(b"infe", 2, &c)
    }

    /// A minimal HEIF layout: item 1 a picture, item 2 EXIF, both in `mdat`, with a `free`
    /// box between `meta` and `mdat`. Sentinel text hides where a strip must also look: in
    /// `ftyp`'s brands, the handler's and the picture's names, a user description property,
    /// an XML box, and bytes of `mdat` no item points at.
    fn sample(picture: &[u8], exif: &[u8]) -> Vec<u8> {
        let ftyp = boxed(b"ftyp", None, b"heic\0\0\0\0mif1heicSentinel");
        let hidden: &[u8] = b"Sentinel hidden between the pictures";
        let free = boxed(b"free", None, b"padding!");
        let build = |mdat_data_at: u32| {
            let mut iinf = 2u16.to_be_bytes().to_vec();
            iinf.extend(infe(1, b"hvc1", "Sentinel picture name"));
            iinf.extend(infe(2, b"Exif", ""));
            let mut iloc = vec![0x44, 0x00];
            iloc.extend_from_slice(&2u16.to_be_bytes());
            for (item, at, len) in [
                (1u16, mdat_data_at, picture.len() as u32),
                (2, mdat_data_at + picture.len() as u32, exif.len() as u32),
            ] {
                iloc.extend_from_slice(&item.to_be_bytes());
                iloc.extend_from_slice(&[0, 0, 0, 1]);
                iloc.extend_from_slice(&at.to_be_bytes());
                iloc.extend_from_slice(&len.to_be_bytes());
            }
            let mut cdsc = 2u16.to_be_bytes().to_vec();
            cdsc.extend_from_slice(&1u16.to_be_bytes());
            cdsc.extend_from_slice(&1u16.to_be_bytes());
            let iref = full(b"iref", 0, &boxed(b"cdsc", None, &cdsc));
            let mut ipma = 2u32.to_be_bytes().to_vec();
            ipma.extend_from_slice(&[0, 1, 1, 0x81]);
            ipma.extend_from_slice(&[0, 2, 0]);
            let iprp = boxed(
                b"iprp",
                None,
                &[
                    boxed(
                        b"ipco",
                        None,
                        &[
                            boxed(b"ispe", None, &[0; 12]),
                            full(b"udes", 0, b"en\0Sentinel Jane Doe\0\0\0"),
                        ]
                        .concat(),
                    ),
                    full(b"ipma", 0, &ipma),
                ]
                .concat(),
            );
            let meta = full(
                b"meta",
                0,
                &[
                    full(
                        b"hdlr",
                        0,
                        b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0Sentinel's phone\0",
                    ),
                    full(b"pitm", 0, &1u16.to_be_bytes()),
                    full(b"iloc", 0, &iloc),
                    full(b"iinf", 0, &iinf),
                    iref,
                    iprp,
                    boxed(b"xml ", None, b"<Sentinel/>"),
                ]
                .concat(),
            );
            [
                ftyp.clone(),
                meta,
                free.clone(),
                boxed(b"mdat", None, &[picture, exif, hidden].concat()),
            ]
            .concat()
        };
        let first = build(0);
        let data_at = first.len() - picture.len() - exif.len() - hidden.len();
        build(data_at as u32)
    }

    /// What `iloc` of `file` says about `item`: (offset, length) of its single extent.
    fn located(file: &[u8], item: u32) -> Option<(usize, usize)> {
        let top = boxes(file, 0, file.len()).ok()?;
        let meta = top.iter().find(|b| &b.kind == b"meta")?;
        let children = boxes(file, meta.content + 4, meta.end).ok()?;
        let iloc = children.iter().find(|b| &b.kind == b"iloc")?;
        let parsed = parse_iloc(file, *iloc).ok()?;
        let l = parsed.items.iter().find(|l| l.item == item)?;
        Some(((l.base + l.extents[0].1) as usize, l.extents[0].2 as usize))
    }

    #[test]
    fn the_exif_item_goes_and_the_picture_moves_with_its_offset() {
        let picture = b"coded picture bytes";
        let exif = b"Exif\0\0Sentinel GPS 38.7223";
        let file = sample(picture, exif);
        let (at, len) = located(&file, 1).unwrap();
        assert_eq!(&file[at..at + len], picture, "the sample is consistent");

        let out = strip(&file).unwrap();
        let (at, len) = located(&out, 1).unwrap();
        assert_eq!(
            &out[at..at + len],
            picture,
            "the picture is found where iloc says"
        );
        assert_eq!(located(&out, 2), None, "the EXIF item is gone from iloc");
        let text = String::from_utf8_lossy(&out);
        assert!(
            !text.contains("Sentinel"),
            "nothing identifying is left: {text:?}"
        );
        assert!(!text.contains("38.7"), "{text:?}");
        assert!(!text.contains("Exif"), "{text:?}");
        assert!(
            !text.contains("cdsc"),
            "the reference to the removed item is gone"
        );
        assert!(out.len() < file.len());
        assert_eq!(strip(&out).unwrap(), out, "stripping twice changes nothing");
    }

    #[test]
    fn a_broken_container_is_refused_not_guessed_at() {
        let file = sample(b"picture", b"exif");
        for cut in [1, 9, 30, file.len() / 2, file.len() - 1] {
            assert!(
                matches!(strip(&file[..cut]), Err(MediaError::Damaged(_))),
                "cut at {cut}"
            );
        }
        let mut huge = file.clone();
        // The meta box claims more than the file holds.
        let meta_at = boxes(&file, 0, file.len()).unwrap()[1].start;
        huge[meta_at..meta_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(strip(&huge), Err(MediaError::Damaged(_))));
    }

    #[test]
    fn what_no_picture_needs_is_emptied_and_the_property_numbers_hold() {
        let out = strip(&sample(b"coded picture bytes", b"Exif\0\0GPS")).unwrap();
        let top = boxes(&out, 0, out.len()).unwrap();
        let kinds: Vec<&[u8; 4]> = top.iter().map(|b| &b.kind).collect();
        assert_eq!(kinds, [b"ftyp", b"meta", b"mdat"]);
        assert_eq!(&out[top[0].content..top[0].end], b"heic\0\0\0\0mif1heic");
        let (_, children) = meta_children(&out, top[1]).unwrap();
        let iprp = children.iter().find(|c| &c.kind == b"iprp").unwrap();
        let ipco = boxes(&out, iprp.content, iprp.end).unwrap()[0];
        let properties: Vec<[u8; 4]> = boxes(&out, ipco.content, ipco.end)
            .unwrap()
            .iter()
            .map(|p| p.kind)
            .collect();
        assert_eq!(
            properties,
            [*b"ispe", *b"free"],
            "the second property keeps its place"
        );
    }

    #[test]
    fn extents_of_no_bytes_cannot_be_repeated_to_exhaust_memory() {
        // Every field zero wide (so each extent costs the file nothing), one item, 65535
        // extents.
        let iloc = full(b"iloc", 0, &[0x00, 0x00, 0, 1, 0, 1, 0, 0, 0xFF, 0xFF]);
        let iinf = full(b"iinf", 0, &[0, 0]);
        let file = [
            boxed(b"ftyp", None, b"heic\0\0\0\0"),
            full(b"meta", 0, &[iinf, iloc].concat()),
        ]
        .concat();
        let err = strip(&file).unwrap_err();
        assert!(err.to_string().contains("more extents"), "{err}");
    }

    #[test]
    fn a_reference_box_of_an_unusual_form_is_refused() {
        let file = sample(b"picture", b"exif");
        let at = file.windows(4).position(|w| w == b"cdsc").unwrap();
        let mut odd = file.clone();
        odd[at..at + 4].copy_from_slice(b"uuid");
        assert!(matches!(strip(&odd), Err(MediaError::Damaged(_))));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_after_the_file_type_are_refused_or_stripped_without_panicking(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..400)
        ) {
            let mut file = boxed(b"ftyp", None, b"heic\0\0\0\0mif1heic");
            file.extend(tail);
            let _ = strip(&file);
        }

        #[test]
        fn a_flipped_byte_never_panics_and_what_strips_strips_to_itself(
            at in 0usize..600,
            value in proptest::num::u8::ANY,
        ) {
            let mut file = sample(b"coded picture bytes", b"Exif\0\0metadata");
            let at = at % file.len();
            file[at] = value;
            if let Ok(out) = strip(&file) {
                proptest::prop_assert_eq!(strip(&out).ok(), Some(out));
            }
        }
    }
}
