//! Fonts Dojang ships (SIL Open Font License; see `assets/fonts/COPYRIGHT-nanum.txt`):
//! NanumGothic for values written into documents, NanumPen for typed signatures. Both cover
//! every modern Hangul syllable and Latin.

pub static NANUM_GOTHIC: &[u8] = include_bytes!("../../assets/fonts/NanumGothic.ttf");
pub static NANUM_PEN: &[u8] = include_bytes!("../../assets/fonts/NanumPen.ttf");
