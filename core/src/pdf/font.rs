//! Fonts written into PDFs: a TrueType font subset to the glyphs used, embedded as a Type0
//! (CIDFontType2, Identity-H) font with a ToUnicode map, so text stays searchable and
//! copyable (`pdftotext` gives back the same Korean text). CIDs are the subset's glyph ids.

use super::write::{text_string, Update};
use lopdf::{Dictionary, Object, ObjectId};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use subsetter::GlyphRemapper;
use ttf_parser::Face;

/// A font Dojang ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FontKind {
    /// NanumGothic: values, names, the audit trail.
    Text,
    /// NanumPen: typed signatures.
    Script,
}

struct Loaded {
    data: &'static [u8],
    face: Face<'static>,
    name: &'static str,
}

fn loaded(kind: FontKind) -> &'static Loaded {
    static TEXT: OnceLock<Loaded> = OnceLock::new();
    static SCRIPT: OnceLock<Loaded> = OnceLock::new();
    let (cell, data, name) = match kind {
        FontKind::Text => (&TEXT, crate::pdf::fonts::NANUM_GOTHIC, "NanumGothic"),
        FontKind::Script => (&SCRIPT, crate::pdf::fonts::NANUM_PEN, "NanumPen"),
    };
    cell.get_or_init(|| Loaded { data, face: Face::parse(data, 0).expect("the bundled font parses"), name })
}

/// One font as used in one PDF: which glyphs, for which characters.
pub struct FontUse {
    kind: FontKind,
    remapper: GlyphRemapper,
    unicode: BTreeMap<u16, char>,
    widths: BTreeMap<u16, f64>,
}

impl FontUse {
    pub fn new(kind: FontKind) -> Self {
        Self { kind, remapper: GlyphRemapper::new(), unicode: BTreeMap::new(), widths: BTreeMap::new() }
    }

    fn face(&self) -> &'static Face<'static> {
        &loaded(self.kind).face
    }

    /// Width of `text` at `size` points.
    pub fn measure(&self, text: &str, size: f64) -> f64 {
        let face = self.face();
        let upem = f64::from(face.units_per_em());
        text.chars().map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map(f64::from).unwrap_or(upem / 2.0)).sum::<f64>() * size / upem
    }

    /// Ascender and descender as fractions of the font size (descender negative).
    pub fn vertical_metrics(&self) -> (f64, f64) {
        let f = self.face();
        let upem = f64::from(f.units_per_em());
        (f64::from(f.ascender()) / upem, f64::from(f.descender()) / upem)
    }

    /// The text as a hex string of CIDs for `Tj`, recording the glyphs used.
    pub fn encode(&mut self, text: &str) -> String {
        let face = self.face();
        let upem = f64::from(face.units_per_em());
        let mut hex = String::with_capacity(text.len() * 4 + 2);
        hex.push('<');
        for c in text.chars() {
            let old = face.glyph_index(c).map(|g| g.0).unwrap_or(0);
            let new = self.remapper.remap(old);
            if old != 0 {
                self.unicode.entry(new).or_insert(c);
            }
            let adv = face.glyph_hor_advance(ttf_parser::GlyphId(old)).map(f64::from).unwrap_or(upem / 2.0);
            self.widths.entry(new).or_insert(adv * 1000.0 / upem);
            let _ = write!(hex, "{new:04X}");
        }
        hex.push('>');
        hex
    }

    pub fn is_used(&self) -> bool {
        !self.widths.is_empty()
    }

    /// Writes the subset font and its dictionaries; returns the Type0 font.
    pub fn embed(mut self, up: &mut Update) -> anyhow::Result<ObjectId> {
        let l = loaded(self.kind);
        self.remapper.remap(0);
        let subset = subsetter::subset(l.data, 0, &self.remapper).map_err(|e| anyhow::anyhow!("subsetting {}: {e:?}", l.name))?;
        let tag = subset_tag(&self.unicode);
        let base_font = format!("{tag}+{}", l.name);
        let face = &l.face;
        let upem = f64::from(face.units_per_em());
        let scale = |v: i16| Object::Integer((f64::from(v) * 1000.0 / upem).round() as i64);
        let bbox = face.global_bounding_box();

        let mut file = Dictionary::new();
        file.set("Length1", Object::Integer(subset.len() as i64));
        let file_id = up.add_stream(file, &subset, true);

        let mut desc = Dictionary::new();
        desc.set("Type", Object::Name(b"FontDescriptor".to_vec()));
        desc.set("FontName", Object::Name(base_font.as_bytes().to_vec()));
        desc.set("Flags", Object::Integer(4));
        desc.set("FontBBox", Object::Array(vec![scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)]));
        desc.set("ItalicAngle", Object::Integer(0));
        desc.set("Ascent", scale(face.ascender()));
        desc.set("Descent", scale(face.descender()));
        desc.set("CapHeight", scale(face.capital_height().unwrap_or(face.ascender())));
        desc.set("StemV", Object::Integer(80));
        desc.set("FontFile2", Object::Reference(file_id));
        let desc_id = up.add(&Object::Dictionary(desc));

        let mut w = Vec::new();
        for (gid, width) in &self.widths {
            w.push(Object::Integer(i64::from(*gid)));
            w.push(Object::Array(vec![Object::Integer(width.round() as i64)]));
        }
        let mut cid = Dictionary::new();
        cid.set("Type", Object::Name(b"Font".to_vec()));
        cid.set("Subtype", Object::Name(b"CIDFontType2".to_vec()));
        cid.set("BaseFont", Object::Name(base_font.as_bytes().to_vec()));
        let mut info = Dictionary::new();
        info.set("Registry", text_string("Adobe"));
        info.set("Ordering", text_string("Identity"));
        info.set("Supplement", Object::Integer(0));
        cid.set("CIDSystemInfo", Object::Dictionary(info));
        cid.set("FontDescriptor", Object::Reference(desc_id));
        cid.set("W", Object::Array(w));
        cid.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));
        let cid_id = up.add(&Object::Dictionary(cid));

        let cmap = to_unicode_cmap(&self.unicode);
        let cmap_id = up.add_stream(Dictionary::new(), cmap.as_bytes(), true);

        let mut font = Dictionary::new();
        font.set("Type", Object::Name(b"Font".to_vec()));
        font.set("Subtype", Object::Name(b"Type0".to_vec()));
        font.set("BaseFont", Object::Name(base_font.as_bytes().to_vec()));
        font.set("Encoding", Object::Name(b"Identity-H".to_vec()));
        font.set("DescendantFonts", Object::Array(vec![Object::Reference(cid_id)]));
        font.set("ToUnicode", Object::Reference(cmap_id));
        Ok(up.add(&Object::Dictionary(font)))
    }
}

/// Six capital letters derived from the glyphs used (the PDF convention for subsets).
fn subset_tag(unicode: &BTreeMap<u16, char>) -> String {
    let mut h: u32 = 2166136261;
    for (g, c) in unicode {
        h = (h ^ u32::from(*g)).wrapping_mul(16777619);
        h = (h ^ *c as u32).wrapping_mul(16777619);
    }
    (0..6).map(|i| (b'A' + ((h >> (i * 5)) % 26) as u8) as char).collect()
}

/// A ToUnicode CMap from CIDs to the characters they show.
fn to_unicode_cmap(unicode: &BTreeMap<u16, char>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = unicode.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (gid, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(s, "<{gid:04X}> <{hex}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_and_latin_get_glyphs_and_a_unicode_map() {
        let mut f = FontUse::new(FontKind::Text);
        let hex = f.encode("김도장 Kim");
        assert_eq!(hex.len(), 2 + 7 * 4);
        assert!(f.unicode.values().any(|c| *c == '도'));
        assert!(f.measure("가나다", 10.0) > f.measure("a", 10.0));
        let cmap = to_unicode_cmap(&f.unicode);
        assert!(cmap.contains("<B3C4>"), "도 is U+B3C4");
        let mut up = Update::new(&lopdf::Document::load_mem(&super::super::write::tests_support::minimal()).unwrap());
        let id = f.embed(&mut up).unwrap();
        assert!(id.0 > 3);
    }
}
