//! Writing PDF: a serializer for PDF objects, and incremental updates — new and replaced
//! objects appended after the existing bytes with their own cross-reference section, so
//! everything already in the file (earlier signatures included) stays byte for byte.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use std::collections::BTreeMap;
use std::io::Write as _;

/// Appends `obj` in PDF syntax.
pub fn write_object(out: &mut Vec<u8>, obj: &Object) {
    match obj {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Object::Real(r) => out.extend_from_slice(real(f64::from(*r)).as_bytes()),
        Object::Name(n) => write_name(out, n),
        Object::String(s, StringFormat::Hexadecimal) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode(s).as_bytes());
            out.push(b'>');
        }
        Object::String(s, StringFormat::Literal) => write_literal(out, s),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(out, d),
        Object::Stream(s) => {
            let mut dict = s.dict.clone();
            dict.set("Length", Object::Integer(s.content.len() as i64));
            write_dict(out, &dict);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&s.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((id, gen)) => {
            let _ = write!(out, "{id} {gen} R");
        }
    }
}

/// A number as PDF writes it: no exponent, at most four decimals, no trailing zeros.
pub fn real(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_owned()
    }
}

fn write_dict(out: &mut Vec<u8>, d: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(out, k);
        out.push(b' ');
        write_object(out, v);
        out.push(b' ');
    }
    out.extend_from_slice(b">>");
}

fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b) {
            out.push(b);
        } else {
            let _ = write!(out, "#{b:02X}");
        }
    }
}

fn write_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x20..=0x7e => out.push(b),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(b')');
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with a byte-order mark.
pub fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// Compresses a stream's data with Flate.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Objects to append to an existing file as one incremental update.
pub struct Update {
    prev_xref: usize,
    next_id: u32,
    trailer: Dictionary,
    xref_stream: bool,
    objects: BTreeMap<u32, Vec<u8>>,
}

impl Update {
    /// Starts an update on top of a parsed file.
    pub fn new(doc: &lopdf::Document) -> Self {
        let mut trailer = Dictionary::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Ok(v) = doc.trailer.get(key) {
                trailer.set(key.to_vec(), v.clone());
            }
        }
        Self {
            prev_xref: doc.xref_start,
            next_id: doc.max_id + 1,
            trailer,
            xref_stream: matches!(doc.reference_table.cross_reference_type, lopdf::xref::XrefType::CrossReferenceStream),
            objects: BTreeMap::new(),
        }
    }

    /// A new object number.
    pub fn alloc(&mut self) -> ObjectId {
        let id = self.next_id;
        self.next_id += 1;
        (id, 0)
    }

    /// Sets (adds or replaces) object `id`.
    pub fn set(&mut self, id: ObjectId, obj: &Object) {
        let mut body = Vec::new();
        write_object(&mut body, obj);
        self.objects.insert(id.0, body);
    }

    /// Sets object `id` to `body`, already in PDF syntax (an original object's text, patched).
    pub fn set_raw(&mut self, id: ObjectId, body: Vec<u8>) {
        self.objects.insert(id.0, body);
    }

    /// Adds a new object and returns its reference.
    pub fn add(&mut self, obj: &Object) -> ObjectId {
        let id = self.alloc();
        self.set(id, obj);
        id
    }

    /// Adds a stream (Flate-compressed when `compress`).
    pub fn add_stream(&mut self, mut dict: Dictionary, data: &[u8], compress: bool) -> ObjectId {
        let content = if compress {
            dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            deflate(data)
        } else {
            data.to_vec()
        };
        self.add(&Object::Stream(lopdf::Stream::new(dict, content)))
    }

    pub fn set_root(&mut self, root: ObjectId) {
        self.trailer.set("Root", Object::Reference(root));
    }

    /// The whole file: `base`, then the objects, the cross-reference section and trailer.
    /// Returns the bytes and each object's offset.
    pub fn finish(mut self, base: &[u8]) -> (Vec<u8>, BTreeMap<u32, usize>) {
        let mut out = Vec::with_capacity(base.len() + self.objects.values().map(Vec::len).sum::<usize>() + 1024);
        out.extend_from_slice(base);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut offsets = BTreeMap::new();
        for (id, body) in &self.objects {
            offsets.insert(*id, out.len());
            let _ = writeln!(out, "{id} 0 obj");
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        if self.xref_stream {
            let xref_id = self.next_id;
            self.next_id += 1;
            let at = out.len();
            offsets.insert(xref_id, at);
            let mut index = Vec::new();
            let mut data = Vec::new();
            for (start, run) in runs(&offsets) {
                index.push(Object::Integer(i64::from(start)));
                index.push(Object::Integer(run.len() as i64));
                for off in run {
                    data.push(1u8);
                    data.extend_from_slice(&(off as u32).to_be_bytes());
                    data.extend_from_slice(&[0, 0]);
                }
            }
            let mut dict = self.trailer.clone();
            dict.set("Type", Object::Name(b"XRef".to_vec()));
            dict.set("Size", Object::Integer(i64::from(self.next_id)));
            dict.set("W", Object::Array(vec![Object::Integer(1), Object::Integer(4), Object::Integer(2)]));
            dict.set("Index", Object::Array(index));
            dict.set("Prev", Object::Integer(self.prev_xref as i64));
            let _ = writeln!(out, "{xref_id} 0 obj");
            write_object(&mut out, &Object::Stream(lopdf::Stream::new(dict, data)));
            out.extend_from_slice(b"\nendobj\n");
            let _ = write!(out, "startxref\n{at}\n%%EOF\n");
        } else {
            let at = out.len();
            out.extend_from_slice(b"xref\n");
            for (start, run) in runs(&offsets) {
                let _ = writeln!(out, "{start} {}", run.len());
                for off in run {
                    let _ = write!(out, "{off:010} 00000 n\r\n");
                }
            }
            let mut trailer = self.trailer.clone();
            trailer.set("Size", Object::Integer(i64::from(self.next_id)));
            trailer.set("Prev", Object::Integer(self.prev_xref as i64));
            out.extend_from_slice(b"trailer\n");
            write_object(&mut out, &Object::Dictionary(trailer));
            let _ = write!(out, "\nstartxref\n{at}\n%%EOF\n");
        }
        (out, offsets)
    }
}

/// Consecutive object numbers grouped, for the cross-reference subsections.
fn runs(offsets: &BTreeMap<u32, usize>) -> Vec<(u32, Vec<usize>)> {
    let mut out: Vec<(u32, Vec<usize>)> = Vec::new();
    for (&id, &off) in offsets {
        match out.last_mut() {
            Some((start, run)) if *start + run.len() as u32 == id => run.push(off),
            _ => out.push((id, vec![off])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_serialise_in_pdf_syntax() {
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Sig".to_vec()));
        d.set("Name", Object::Name(b"A B/C".to_vec()));
        d.set("R", Object::Array(vec![Object::Integer(1), Object::Real(0.5), Object::Reference((7, 0))]));
        d.set("S", Object::String(b"a(b)\\c\n".to_vec(), StringFormat::Literal));
        let mut out = Vec::new();
        write_object(&mut out, &Object::Dictionary(d));
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("/Type /Sig"), "{s}");
        assert!(s.contains("/Name /A#20B#2FC"), "{s}");
        assert!(s.contains("/R [1 0.5 7 0 R]"), "{s}");
        assert!(s.contains("/S (a\\(b\\)\\\\c\\n)"), "{s}");
        assert_eq!(real(1.0), "1");
        assert_eq!(real(-0.00001), "0");
        assert_eq!(real(12.345678), "12.3457");
    }

    #[test]
    fn text_strings_use_utf16_for_hangul() {
        assert_eq!(text_string("Dojang"), Object::String(b"Dojang".to_vec(), StringFormat::Literal));
        match text_string("도장") {
            Object::String(b, StringFormat::Hexadecimal) => assert_eq!(b, vec![0xFE, 0xFF, 0xB3, 0xC4, 0xC7, 0xA5]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_update_appends_and_chains_to_the_previous_xref() {
        let base = minimal_pdf();
        let doc = lopdf::Document::load_mem(&base).unwrap();
        let mut up = Update::new(&doc);
        let id = up.add(&Object::Dictionary(Dictionary::from_iter(vec![("Hello", Object::Integer(1))])));
        let (bytes, _) = up.finish(&base);
        assert!(bytes.starts_with(&base), "the original bytes are untouched");
        let again = lopdf::Document::load_mem(&bytes).expect("the updated file parses");
        assert_eq!(again.get_dictionary(id).unwrap().get(b"Hello").unwrap(), &Object::Integer(1));
        assert_eq!(again.get_pages().len(), 1);
    }

    pub(crate) fn minimal_pdf() -> Vec<u8> {
        super::tests_support::minimal()
    }
}

/// Test helpers shared by the PDF modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    /// A one-page PDF written by hand.
    pub(crate) fn minimal() -> Vec<u8> {
        let mut out = b"%PDF-1.7\n".to_vec();
        let objs =
            ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"];
        let mut offs = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            offs.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let x = out.len();
        out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
        for o in offs {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        out.extend_from_slice(format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n").as_bytes());
        out
    }
}
