//! Fields placed by the document itself (issue 16): text tags and anchor strings found in a
//! page's text, and the field rectangle each one stands for.
//!
//! A **text tag** is text in the PDF of the form `{{type;option;key=value;…}}`:
//!
//! - `type` — a field type: `signature`, `initials`, `date`, `text`, `number`, `checkbox`,
//!   `name`, `email` (case does not matter);
//! - `role=…` — whom the field is for (a template role or a recipient's role name, e.g.
//!   `role=근로자`);
//! - `name=…` — the field's name (values are prefilled by name); `label=…` — what the signer
//!   sees;
//! - `required` or `optional` (signature and initials are required unless `optional`);
//! - `width=…`, `height=…` — the field's size in points when it should not be the tag's own
//!   box (the tag's top-left corner stays where it is).
//!
//! Spaces around parts are ignored; a value cannot hold `;` or `}}`. The field covers the
//! tag's box as the page is displayed (rotated pages too), so the sealed PDF's stamp hides it.
//!
//! An **anchor** is any string (`서명:`, `Signature:`): a field is placed relative to each
//! occurrence, by offsets in points or in fractions of the page.
//!
//! Reading the page's characters and their boxes is PDFium's part (`inspect::page_chars`);
//! this module works on what they return.

use crate::error::{AppError, FieldError};
use crate::geometry::{FieldRect, PageGeometry, UserRect};
use crate::model::FieldKind;

/// One character of a page's text and its box in user space, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub struct PageChar {
    pub ch: char,
    pub bbox: UserRect,
}

/// A tag as parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tag {
    pub kind: Option<FieldKind>,
    pub role: Option<String>,
    pub name: Option<String>,
    pub label: Option<String>,
    pub required: bool,
    /// Points.
    pub width: Option<f64>,
    pub height: Option<f64>,
}

/// The longest tag read (a longer run of text between braces is not a tag).
const MAX_TAG_CHARS: usize = 300;
/// The largest size a tag may ask for, in points (a little over an A0 side).
const MAX_SIZE_PT: f64 = 3_500.0;

fn problem(code: &str, message: String) -> FieldError {
    FieldError { field: "tag".into(), code: code.into(), message }
}

/// Parses what stands between `{{` and `}}`.
pub fn parse(inner: &str) -> Result<Tag, FieldError> {
    let mut parts = inner.split(';').map(str::trim);
    let kind_name = parts.next().unwrap_or_default();
    let kind = FieldKind::parse(kind_name)
        .filter(|k| !k.has_options())
        .ok_or_else(|| problem("unknown_type", format!("“{kind_name}” is not a field type a tag can place")))?;
    let mut tag = Tag { kind: Some(kind), required: matches!(kind, FieldKind::Signature | FieldKind::Initials), ..Default::default() };
    let mut optional = false;
    for part in parts.filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim())),
            None => (part.to_ascii_lowercase(), None),
        };
        let text = |v: Option<&str>| -> Result<String, FieldError> {
            match v.filter(|v| !v.is_empty()) {
                Some(v) if v.chars().count() <= 100 && !v.chars().any(char::is_control) => Ok(v.to_owned()),
                Some(_) => Err(problem("invalid_value", format!("“{key}” is too long"))),
                None => Err(problem("missing_value", format!("“{key}” needs a value: {key}=…"))),
            }
        };
        let size = |v: Option<&str>| -> Result<f64, FieldError> {
            let n: f64 =
                v.unwrap_or_default().trim_end_matches("pt").trim().parse().map_err(|_| problem("invalid_value", format!("“{key}” is a size in points")))?;
            if n.is_finite() && n > 0.0 && n <= MAX_SIZE_PT {
                Ok(n)
            } else {
                Err(problem("invalid_value", format!("“{key}” must be between 0 and {MAX_SIZE_PT} points")))
            }
        };
        match (key.as_str(), value) {
            ("required", None) => tag.required = true,
            ("optional", None) => optional = true,
            ("role", v) => tag.role = Some(text(v)?),
            ("name", v) => tag.name = Some(text(v)?),
            ("label", v) => tag.label = Some(text(v)?),
            ("width" | "w", v) => tag.width = Some(size(v)?),
            ("height" | "h", v) => tag.height = Some(size(v)?),
            ("required" | "optional", Some(_)) => return Err(problem("invalid_value", format!("“{key}” takes no value"))),
            (other, _) => return Err(problem("unknown_option", format!("“{other}” is not a tag option"))),
        }
    }
    if optional {
        tag.required = false;
    }
    Ok(tag)
}

/// A tag found in a page's text, with its box (the union of its characters' boxes).
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The tag's text as it reads (`{{signature;role=회사}}`).
    pub text: String,
    pub tag: Result<Tag, FieldError>,
    pub bbox: UserRect,
}

fn union(chars: &[PageChar]) -> UserRect {
    chars.iter().skip(1).fold(chars[0].bbox, |r, c| UserRect {
        left: r.left.min(c.bbox.left),
        bottom: r.bottom.min(c.bbox.bottom),
        right: r.right.max(c.bbox.right),
        top: r.top.max(c.bbox.top),
    })
}

/// Every `{{…}}` in a page's characters, in reading order. Line breaks and spaces PDFium
/// reports inside a tag (a tag wrapped over two lines) are read through.
pub fn find(chars: &[PageChar]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < chars.len() {
        if !(chars[i].ch == '{' && chars[i + 1].ch == '{') {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 2;
        let mut end = None;
        while j + 1 < chars.len() && j - start <= MAX_TAG_CHARS {
            if chars[j].ch == '}' && chars[j + 1].ch == '}' {
                end = Some(j + 1);
                break;
            }
            if chars[j].ch == '{' && chars[j + 1].ch == '{' {
                break;
            }
            j += 1;
        }
        let Some(end) = end else {
            i += 2;
            continue;
        };
        let run = &chars[start..=end];
        // PDFium reads some spaces as no-break spaces: every space reads as a space.
        let text: String = run.iter().map(|c| if c.ch.is_whitespace() { ' ' } else { c.ch }).collect();
        let inner: String = run[2..run.len() - 2].iter().map(|c| c.ch).filter(|c| !matches!(c, '\r' | '\n')).collect();
        // Boxes of the visible characters only (PDFium gives generated spaces and breaks an
        // empty box at the origin).
        let visible: Vec<PageChar> = run.iter().filter(|c| !c.ch.is_whitespace()).cloned().collect();
        out.push(Found { text, tag: parse(&inner), bbox: union(&visible) });
        i = end + 1;
    }
    out
}

/// Every occurrence of `needle` in a page's characters (spaces and line breaks in the text
/// count as one space; case is kept), as boxes.
pub fn anchors(chars: &[PageChar], needle: &str) -> Vec<UserRect> {
    let norm = |c: char| if c.is_whitespace() { ' ' } else { c };
    let want: Vec<char> = needle.chars().map(norm).collect();
    if want.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + want.len() <= chars.len() {
        if chars[i..i + want.len()].iter().zip(&want).all(|(c, w)| norm(c.ch) == *w) {
            let visible: Vec<PageChar> = chars[i..i + want.len()].iter().filter(|c| !c.ch.is_whitespace()).cloned().collect();
            if !visible.is_empty() {
                out.push(union(&visible));
            }
            i += want.len();
        } else {
            i += 1;
        }
    }
    out
}

/// A user-space box as the page is displayed: (x, y, width, height) in points from the
/// displayed top-left corner.
fn displayed(g: &PageGeometry, r: &UserRect) -> (f64, f64, f64, f64) {
    let corner = |ux: f64, uy: f64| g.user_point_to_display(ux, uy);
    let (a, b) = (corner(r.left, r.bottom), corner(r.right, r.top));
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    (x0, y0, x1 - x0, y1 - y0)
}

fn rect(g: &PageGeometry, x: f64, y: f64, w: f64, h: f64) -> Result<FieldRect, AppError> {
    let (pw, ph) = (g.display_width(), g.display_height());
    // Kept inside the page (a tag at the edge asking for more room gets what is left).
    let (x, y) = (x.clamp(0.0, pw), y.clamp(0.0, ph));
    let (w, h) = (w.min(pw - x), h.min(ph - y));
    FieldRect::parse(x / pw, y / ph, w / pw, h / ph)
}

/// The field rectangle over a tag: its box as displayed, or from its top-left corner with
/// the size the tag asks for.
pub fn place(g: &PageGeometry, found: &UserRect, tag: &Tag) -> Result<FieldRect, AppError> {
    let (x, y, w, h) = displayed(g, found);
    rect(g, x, y, tag.width.unwrap_or(w), tag.height.unwrap_or(h))
}

/// An offset or size: in points, or as a fraction of the displayed page's side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    Points(f64),
    Fraction(f64),
}

impl Length {
    fn points(self, side: f64) -> f64 {
        match self {
            Self::Points(p) => p,
            Self::Fraction(f) => f * side,
        }
    }
}

/// Where a field goes relative to an anchor: offsets from the anchor's top-left corner as
/// displayed (x to the right, y down) and the field's size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnchorPlacement {
    pub x_offset: Length,
    pub y_offset: Length,
    pub width: Length,
    pub height: Length,
}

/// The field rectangle for one occurrence of an anchor.
pub fn place_at_anchor(g: &PageGeometry, anchor: &UserRect, p: &AnchorPlacement) -> Result<FieldRect, AppError> {
    let (x, y, _, _) = displayed(g, anchor);
    let (pw, ph) = (g.display_width(), g.display_height());
    rect(g, x + p.x_offset.points(pw), y + p.y_offset.points(ph), p.width.points(pw), p.height.points(ph))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters laid out left to right on one line of an upright A4 page, 6 pt wide, 10 pt
    /// high, starting at (x, y) in user space (y the baseline's bottom).
    fn line(text: &str, x: f64, y: f64) -> Vec<PageChar> {
        text.chars()
            .enumerate()
            .map(|(i, ch)| PageChar { ch, bbox: UserRect { left: x + 6.0 * i as f64, bottom: y, right: x + 6.0 * (i + 1) as f64, top: y + 10.0 } })
            .collect()
    }

    const A4: PageGeometry = PageGeometry { left: 0.0, bottom: 0.0, right: 595.0, top: 842.0, rotation: 0 };

    #[test]
    fn tags_read_their_type_role_and_options() {
        let t = parse("signature;role=근로자;required").unwrap();
        assert_eq!((t.kind, t.role.as_deref(), t.required), (Some(FieldKind::Signature), Some("근로자"), true));
        let t = parse(" Text ; role = 근로자 ; name=address ; label=주소 ; width=120 ; h=14pt ").unwrap();
        assert_eq!(t.kind, Some(FieldKind::Text));
        assert_eq!((t.name.as_deref(), t.label.as_deref(), t.width, t.height, t.required), (Some("address"), Some("주소"), Some(120.0), Some(14.0), false));
        assert!(!parse("signature;optional").unwrap().required);
        assert!(parse("date;role=회사").unwrap().role.is_some());
        for (bad, code) in [
            ("passport;role=a", "unknown_type"),
            ("radio", "unknown_type"),
            ("text;colour=red", "unknown_option"),
            ("text;role=", "missing_value"),
            ("text;width=-3", "invalid_value"),
            ("text;width=wide", "invalid_value"),
            ("text;height=99999", "invalid_value"),
            ("text;required=yes", "invalid_value"),
        ] {
            assert_eq!(parse(bad).unwrap_err().code, code, "{bad}");
        }
    }

    #[test]
    fn tags_are_found_in_the_text_with_their_boxes() {
        let mut chars = line("이름: {{text;role=근로자;name=성명}} 끝 {{signature;role=회사}}", 50.0, 700.0);
        chars.extend(line("{{unclosed", 50.0, 680.0));
        let found = find(&chars);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].text, "{{text;role=근로자;name=성명}}");
        assert_eq!(found[0].tag.as_ref().unwrap().name.as_deref(), Some("성명"));
        let start = "이름: ".chars().count() as f64;
        let len = found[0].text.chars().count() as f64;
        assert_eq!(found[0].bbox, UserRect { left: 50.0 + 6.0 * start, bottom: 700.0, right: 50.0 + 6.0 * (start + len), top: 710.0 });
        assert_eq!(found[1].tag.as_ref().unwrap().kind, Some(FieldKind::Signature));
    }

    #[test]
    fn a_bad_tag_is_reported_not_dropped() {
        let found = find(&line("{{stamp;role=x}}", 0.0, 0.0));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tag.as_ref().unwrap_err().code, "unknown_type");
    }

    #[test]
    fn a_tag_wrapped_over_two_lines_is_one_tag() {
        let mut chars = line("{{text;role=", 100.0, 500.0);
        chars.push(PageChar { ch: '\n', bbox: UserRect { left: 0.0, bottom: 0.0, right: 0.0, top: 0.0 } });
        chars.extend(line("근로자}}", 100.0, 488.0));
        let found = find(&chars);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tag.as_ref().unwrap().role.as_deref(), Some("근로자"));
        assert_eq!(found[0].bbox.bottom, 488.0, "the break's empty box is not part of the tag's");
        assert_eq!(found[0].bbox.left, 100.0);
    }

    #[test]
    fn the_field_covers_the_tag_as_displayed_on_every_rotation() {
        let tag = Tag::default();
        let bbox = UserRect { left: 100.0, bottom: 200.0, right: 160.0, top: 212.0 };
        for rotation in [0, 90, 180, 270] {
            let g = PageGeometry { rotation, ..A4 };
            let r = place(&g, &bbox, &tag).unwrap();
            // Back in user space the field is exactly the tag's box.
            let u = g.to_user_space(&r);
            for (a, b) in [(u.left, bbox.left), (u.bottom, bbox.bottom), (u.right, bbox.right), (u.top, bbox.top)] {
                assert!((a - b).abs() < 1e-6, "rotation {rotation}: {u:?} vs {bbox:?}");
            }
        }
        // Upright: 100 pt from the left, 842 − 212 = 630 pt from the top.
        let r = place(&A4, &bbox, &tag).unwrap();
        assert!((r.x - 100.0 / 595.0).abs() < 1e-9 && (r.y - 630.0 / 842.0).abs() < 1e-9);
    }

    #[test]
    fn a_tag_may_ask_for_its_size_and_stays_inside_the_page() {
        let tag = Tag { width: Some(200.0), height: Some(50.0), ..Default::default() };
        let bbox = UserRect { left: 100.0, bottom: 200.0, right: 160.0, top: 212.0 };
        let r = place(&A4, &bbox, &tag).unwrap();
        assert!((r.width - 200.0 / 595.0).abs() < 1e-9 && (r.height - 50.0 / 842.0).abs() < 1e-9);
        let edge = UserRect { left: 560.0, bottom: 5.0, right: 590.0, top: 15.0 };
        let r = place(&A4, &edge, &tag).unwrap();
        assert!(r.x + r.width <= 1.0 + 1e-9 && r.y + r.height <= 1.0 + 1e-9, "{r:?}");
    }

    #[test]
    fn anchors_are_found_at_each_occurrence_and_fields_placed_from_them() {
        let mut chars = line("갑 서명: ____ ", 50.0, 700.0);
        chars.extend(line("을 서명: ____", 50.0, 600.0));
        let found = anchors(&chars, "서명:");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].left, 50.0 + 12.0);
        assert!(anchors(&chars, "없는 글").is_empty());
        let p = AnchorPlacement { x_offset: Length::Points(30.0), y_offset: Length::Fraction(0.0), width: Length::Fraction(0.2), height: Length::Points(20.0) };
        let r = place_at_anchor(&A4, &found[1], &p).unwrap();
        assert!((r.x - (62.0 + 30.0) / 595.0).abs() < 1e-9, "{r:?}");
        assert!((r.y - (842.0 - 610.0) / 842.0).abs() < 1e-9, "{r:?}");
        assert!((r.width - 0.2).abs() < 1e-9 && (r.height - 20.0 / 842.0).abs() < 1e-9);
    }
}
