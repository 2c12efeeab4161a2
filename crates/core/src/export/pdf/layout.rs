//! A small flowing layout over printpdf's page operations: headings, wrapped paragraphs,
//! label/value lines, tables whose header row repeats on every page they cross, images and
//! drawings placed where the flow has room, and a footer on every page.
//!
//! Hand-written because printpdf 0.12 lays out only HTML (its `html` feature pulls a
//! browser-sized layout engine and a system font scan); a report's flow needs only line
//! breaking over the fonts' own advance widths.
//!
//! Text goes through [`Fonts::printable`] first: NFC (so a decomposed "é" uses the font's
//! precomposed glyph), control characters as spaces, and any character the font lacks as
//! "?", counted, so a missing glyph is never drawn as an empty box. printpdf maps
//! characters to glyphs one by one without shaping, so scripts that need it (Arabic,
//! Devanagari) could not be drawn correctly even with a font that covers them.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Pt, Rect, Rgb,
    TextItem, XObjectId, XObjectTransform,
};
use unicode_normalization::UnicodeNormalization;

/// A4, in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
/// A4, in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margins.
pub(crate) const MARGIN: f32 = 48.0;
const TOP: f32 = PAGE_HEIGHT - 52.0;
/// The flow stops here; below is the footer (page number, who and when, the seal).
pub(crate) const FOOTER_TOP: f32 = 104.0;
/// Width of the flow.
pub(crate) const BODY_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// Body text size.
pub(crate) const BODY: f32 = 10.0;
/// Table cells and notes.
pub(crate) const SMALL: f32 = 8.5;

pub(crate) const INK: Tint = rgb(0.10, 0.10, 0.12);
pub(crate) const MUTED: Tint = rgb(0.38, 0.38, 0.42);
pub(crate) const ALERT: Tint = rgb(0.66, 0.05, 0.05);
pub(crate) const RULE: Tint = rgb(0.75, 0.75, 0.78);
pub(crate) const SHADE: Tint = rgb(0.93, 0.93, 0.95);

/// A colour (printpdf's own colour type is not `Copy`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tint(f32, f32, f32);

impl Tint {
    fn color(self) -> Color {
        Color::Rgb(Rgb {
            r: self.0,
            g: self.1,
            b: self.2,
            icc_profile: None,
        })
    }
}

pub(crate) const fn rgb(r: f32, g: f32, b: f32) -> Tint {
    Tint(r, g, b)
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// The two faces a report uses, parsed once for measuring and registered with the document.
#[derive(Debug)]
pub(crate) struct Fonts {
    regular: (ParsedFont, FontId),
    bold: (ParsedFont, FontId),
    /// Characters shown as "?" because the font has no glyph for them.
    pub(crate) substituted: usize,
}

impl Fonts {
    pub(crate) fn new(regular: (ParsedFont, FontId), bold: (ParsedFont, FontId)) -> Fonts {
        Fonts {
            regular,
            bold,
            substituted: 0,
        }
    }

    fn face(&self, weight: Weight) -> &(ParsedFont, FontId) {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// `text` as the fonts can draw it (see the module notes).
    pub(crate) fn printable(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.nfc() {
            let c = if c.is_control() { ' ' } else { c };
            if self.regular.0.lookup_glyph_index(u32::from(c)).is_some()
                && self.bold.0.lookup_glyph_index(u32::from(c)).is_some()
            {
                out.push(c);
            } else {
                self.substituted += 1;
                out.push('?');
            }
        }
        out
    }

    /// Width of printable `text` at `size`, in points.
    pub(crate) fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        let font = &self.face(weight).0;
        let per_unit = size / f32::from(font.pdf_font_metrics.units_per_em.max(1));
        text.chars()
            .map(|c| {
                font.lookup_glyph_index(u32::from(c))
                    .map_or(0.0, |g| f32::from(font.get_horizontal_advance(g)))
            })
            .sum::<f32>()
            * per_unit
    }

    /// Breaks printable `text` into lines no wider than `width`: at spaces, and inside a
    /// word only when the word alone is too wide. Newlines in `text` start new lines.
    pub(crate) fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, weight, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, weight, size) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// One column of a table: its title and share of the width.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) title: &'static str,
    pub(crate) share: f32,
}

/// The pages being laid out.
#[derive(Debug)]
pub(crate) struct Flow {
    pub(crate) fonts: Fonts,
    pages: Vec<Vec<Op>>,
    /// The page drawn on.
    current: usize,
    /// Top of the space left on the current page.
    y: f32,
}

impl Flow {
    pub(crate) fn new(fonts: Fonts) -> Flow {
        Flow {
            fonts,
            pages: vec![Vec::new()],
            current: 0,
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages[self.current]
    }

    /// Starts a new page.
    pub(crate) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
        self.y = TOP;
    }

    /// Makes room for `height` points, on a new page if this one has too little left.
    /// Returns whether a page was started.
    pub(crate) fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < FOOTER_TOP && self.y < TOP {
            self.new_page();
            return true;
        }
        false
    }

    /// Leaves `height` points blank.
    pub(crate) fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    /// Draws one line of printable text with its baseline at (`x`, `baseline`).
    pub(crate) fn text_at(
        &mut self,
        text: &str,
        x: f32,
        baseline: f32,
        weight: Weight,
        size: f32,
        color: Tint,
    ) {
        if text.is_empty() {
            return;
        }
        let font = self.fonts.face(weight).1.clone();
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor { col: color.color() },
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Moves down one line of text at `size` (on a new page if this one is full) and
    /// returns its baseline.
    fn next_line(&mut self, size: f32) -> f32 {
        let leading = size * 1.35;
        self.ensure(leading);
        self.y -= leading;
        self.y + size * 0.28
    }

    /// A paragraph across the body, wrapped.
    pub(crate) fn paragraph(&mut self, text: &str, weight: Weight, size: f32, color: Tint) {
        let text = self.fonts.printable(text);
        for line in self.fonts.wrap(&text, weight, size, BODY_WIDTH) {
            let baseline = self.next_line(size);
            self.text_at(&line, MARGIN, baseline, weight, size, color);
        }
    }

    /// A section heading, kept with at least a few lines of what follows.
    pub(crate) fn heading(&mut self, text: &str) {
        self.ensure(60.0);
        self.gap(10.0);
        self.paragraph(text, Weight::Bold, 13.0, INK);
        self.rule(RULE);
        self.gap(4.0);
    }

    /// A thin line across the body.
    pub(crate) fn rule(&mut self, color: Tint) {
        self.gap(3.0);
        let y = self.y;
        self.line(&[(MARGIN, y), (PAGE_WIDTH - MARGIN, y)], color, 0.6);
    }

    /// "Label: value" lines, the label bold; values wrap under themselves.
    pub(crate) fn fields(&mut self, pairs: &[(&str, String)]) {
        let label_width = 130.0;
        for (label, value) in pairs {
            let label = self.fonts.printable(label);
            let value = self.fonts.printable(value);
            let lines = self
                .fonts
                .wrap(&value, Weight::Regular, BODY, BODY_WIDTH - label_width);
            for (i, line) in lines.iter().enumerate() {
                let baseline = self.next_line(BODY);
                if i == 0 {
                    self.text_at(&label, MARGIN, baseline, Weight::Bold, BODY, MUTED);
                }
                let x = MARGIN + label_width;
                self.text_at(line, x, baseline, Weight::Regular, BODY, INK);
            }
        }
    }

    /// A table; its header row is drawn again at the top of every page it continues on.
    /// Nothing is drawn for no rows.
    pub(crate) fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        if rows.is_empty() {
            return;
        }
        let total: f32 = columns.iter().map(|c| c.share).sum();
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.share / total * BODY_WIDTH)
            .collect();
        let pad = 3.0;
        let leading = SMALL * 1.3;
        self.table_header(columns, &widths, leading, pad);
        for row in rows {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| {
                    let cell = self.fonts.printable(cell);
                    self.fonts
                        .wrap(&cell, Weight::Regular, SMALL, width - 2.0 * pad)
                })
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = lines as f32 * leading + 2.0 * pad;
            if self.ensure(height) {
                self.table_header(columns, &widths, leading, pad);
            }
            let top = self.y;
            let mut x = MARGIN;
            for (cell, width) in cells.iter().zip(&widths) {
                for (i, line) in cell.iter().enumerate() {
                    let baseline = top - pad - (i as f32 + 1.0) * leading + SMALL * 0.3;
                    self.text_at(line, x + pad, baseline, Weight::Regular, SMALL, INK);
                }
                x += width;
            }
            self.y -= height;
            let y = self.y;
            self.line(&[(MARGIN, y), (PAGE_WIDTH - MARGIN, y)], SHADE, 0.5);
        }
    }

    fn table_header(&mut self, columns: &[Column], widths: &[f32], leading: f32, pad: f32) {
        let height = leading + 2.0 * pad;
        self.ensure(height * 3.0);
        let top = self.y;
        self.fill_rect(MARGIN, top - height, BODY_WIDTH, height, SHADE);
        let mut x = MARGIN;
        for (column, width) in columns.iter().zip(widths) {
            let title = self.fonts.printable(column.title);
            let baseline = top - pad - leading + SMALL * 0.3;
            self.text_at(&title, x + pad, baseline, Weight::Bold, SMALL, INK);
            x += width;
        }
        self.y -= height;
    }

    /// A filled rectangle; (`x`, `y`) is its lower left corner.
    pub(crate) fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Tint) {
        self.ops().extend([
            Op::SetFillColor { col: color.color() },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(x),
                    y: Pt(y),
                    width: Pt(width),
                    height: Pt(height),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            },
        ]);
    }

    /// A polyline.
    pub(crate) fn line(&mut self, points: &[(f32, f32)], color: Tint, thickness: f32) {
        if points.len() < 2 {
            return;
        }
        self.ops().extend([
            Op::SetOutlineColor { col: color.color() },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: points
                        .iter()
                        .map(|&(x, y)| LinePoint {
                            p: Point { x: Pt(x), y: Pt(y) },
                            bezier: false,
                        })
                        .collect(),
                    is_closed: false,
                },
            },
        ]);
    }

    /// Draws a registered image (or other XObject) with its lower left corner at (`x`,
    /// `y`), `size` points wide, where `pixels` is its width in pixels.
    pub(crate) fn image_at(&mut self, id: &XObjectId, x: f32, y: f32, size: f32, pixels: u32) {
        self.ops().push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(y)),
                // printpdf scales an image to its pixel size at this resolution.
                dpi: Some(pixels as f32 * 72.0 / size),
                ..XObjectTransform::default()
            },
        });
    }

    /// Claims `height` points of the flow for a drawing and returns the drawing's lower
    /// edge.
    pub(crate) fn block(&mut self, height: f32) -> f32 {
        self.ensure(height);
        self.y -= height;
        self.y
    }

    /// The pages, each with `footer` drawn on it (given the page's number, from 1, and
    /// the page count).
    pub(crate) fn finish(
        mut self,
        mut footer: impl FnMut(&mut Flow, usize, usize),
    ) -> Vec<Vec<Op>> {
        let count = self.pages.len();
        for index in 0..count {
            self.current = index;
            self.y = FOOTER_TOP;
            footer(&mut self, index + 1, count);
        }
        self.pages
    }
}
