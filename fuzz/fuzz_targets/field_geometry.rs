//! Field geometry: any four numbers either make a field inside its page or are refused, and an
//! accepted field lands inside the page's box in PDF user space on every rotation and box.
#![no_main]

use arbitrary::Arbitrary;
use dojang_core::geometry::{FieldRect, PageGeometry};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    rect: (f64, f64, f64, f64),
    left: i16,
    bottom: i16,
    width: u16,
    height: u16,
    rotation: u8,
}

fuzz_target!(|input: Input| {
    let (x, y, w, h) = input.rect;
    let Ok(rect) = FieldRect::parse(x, y, w, h) else { return };
    assert!(rect.x >= 0.0 && rect.y >= 0.0 && rect.width > 0.0 && rect.height > 0.0);
    let (bw, bh) = (f64::from(input.width.max(1)), f64::from(input.height.max(1)));
    let page = PageGeometry {
        left: f64::from(input.left),
        bottom: f64::from(input.bottom),
        right: f64::from(input.left) + bw,
        top: f64::from(input.bottom) + bh,
        rotation: [0, 90, 180, 270][usize::from(input.rotation % 4)],
    };
    let eps = 1e-3 * bw.max(bh);
    let u = page.to_user_space(&rect);
    assert!(u.left >= page.left - eps && u.right <= page.right + eps, "{u:?} {page:?}");
    assert!(u.bottom >= page.bottom - eps && u.top <= page.top + eps, "{u:?} {page:?}");
    let (m, fw, fh) = page.field_matrix(&rect);
    for (a, b) in [(0.0, 0.0), (fw, 0.0), (0.0, fh), (fw, fh)] {
        let (px, py) = (m[0] * a + m[2] * b + m[4], m[1] * a + m[3] * b + m[5]);
        assert!(px >= page.left - eps && px <= page.right + eps && py >= page.bottom - eps && py <= page.top + eps, "({px}, {py}) {page:?}");
    }
});
