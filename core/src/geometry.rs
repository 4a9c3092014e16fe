//! Where things are on a page. A field's position is stored as fractions 0–1 of the page *as
//! displayed* (after /Rotate, within the CropBox), top-left origin; `to_user_space` is the one
//! function that turns it into PDF user space for stamping.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// A page's visible box in PDF user space (points, bottom-left origin) and its /Rotate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageGeometry {
    /// The CropBox clipped to the MediaBox: left, bottom, right, top.
    pub left: f64,
    pub bottom: f64,
    pub right: f64,
    pub top: f64,
    /// 0, 90, 180 or 270: clockwise rotation applied when the page is displayed.
    pub rotation: u16,
}

impl PageGeometry {
    pub fn box_width(&self) -> f64 {
        self.right - self.left
    }

    pub fn box_height(&self) -> f64 {
        self.top - self.bottom
    }

    fn quarter_turned(&self) -> bool {
        self.rotation == 90 || self.rotation == 270
    }

    /// Width of the page as displayed, in points.
    pub fn display_width(&self) -> f64 {
        if self.quarter_turned() {
            self.box_height()
        } else {
            self.box_width()
        }
    }

    /// Height of the page as displayed, in points.
    pub fn display_height(&self) -> f64 {
        if self.quarter_turned() {
            self.box_width()
        } else {
            self.box_height()
        }
    }

    /// A point given in displayed points from the top-left corner, in user space.
    pub fn display_point_to_user(&self, dx: f64, dy: f64) -> (f64, f64) {
        match self.rotation {
            90 => (self.left + dy, self.bottom + dx),
            180 => (self.right - dx, self.bottom + dy),
            270 => (self.right - dy, self.top - dx),
            _ => (self.left + dx, self.top - dy),
        }
    }

    /// A point in user space as displayed: points from the top-left corner (the inverse of
    /// `display_point_to_user`).
    pub fn user_point_to_display(&self, ux: f64, uy: f64) -> (f64, f64) {
        match self.rotation {
            90 => (uy - self.bottom, ux - self.left),
            180 => (self.right - ux, uy - self.bottom),
            270 => (self.top - uy, self.right - ux),
            _ => (ux - self.left, self.top - uy),
        }
    }

    /// A field rectangle in user space: (left, bottom, right, top).
    pub fn to_user_space(&self, r: &FieldRect) -> UserRect {
        let (w, h) = (self.display_width(), self.display_height());
        let (x0, y0) = self.display_point_to_user(r.x * w, r.y * h);
        let (x1, y1) = self.display_point_to_user((r.x + r.width) * w, (r.y + r.height) * h);
        UserRect { left: x0.min(x1), bottom: y0.min(y1), right: x0.max(x1), top: y0.max(y1) }
    }
}

impl PageGeometry {
    /// The matrix (a b c d e f, for `cm`) from a field's own coordinates — origin at its
    /// bottom-left corner as displayed, x to the right, y up, in points — to user space.
    /// Content drawn with it appears upright however the page is rotated.
    pub fn field_matrix(&self, r: &FieldRect) -> ([f64; 6], f64, f64) {
        let (w, h) = (self.display_width(), self.display_height());
        let (fw, fh) = (r.width * w, r.height * h);
        // Local (u, v) is the displayed point (x + u, y + fh − v), measured from the top-left.
        let to_user = |u: f64, v: f64| self.display_point_to_user(r.x * w + u, r.y * h + fh - v);
        let o = to_user(0.0, 0.0);
        let ux = to_user(1.0, 0.0);
        let vy = to_user(0.0, 1.0);
        ([ux.0 - o.0, ux.1 - o.1, vy.0 - o.0, vy.1 - o.1, o.0, o.1], fw, fh)
    }
}

/// A rectangle in PDF user space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UserRect {
    pub left: f64,
    pub bottom: f64,
    pub right: f64,
    pub top: f64,
}

/// A field's place on its page as fractions of the displayed page; always inside the page.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldRect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl FieldRect {
    /// Smallest side of a field, as a fraction of the page (about 3 pt on A4).
    pub const MIN_SIDE: f64 = 0.005;
    const SLACK: f64 = 1e-6;

    pub fn parse(x: f64, y: f64, width: f64, height: f64) -> Result<Self, AppError> {
        let finite = [x, y, width, height].iter().all(|v| v.is_finite());
        let inside = x >= -Self::SLACK && y >= -Self::SLACK && x + width <= 1.0 + Self::SLACK && y + height <= 1.0 + Self::SLACK;
        if !finite || !inside || width < Self::MIN_SIDE || height < Self::MIN_SIDE {
            return Err(AppError::field("rect", "out_of_page", "A field must lie inside its page and have a size"));
        }
        Ok(Self { x: x.max(0.0), y: y.max(0.0), width, height })
    }

    /// A rectangle stored as four nullable columns: one when all are there and it lies inside
    /// the page.
    pub fn from_columns(x: Option<f64>, y: Option<f64>, width: Option<f64>, height: Option<f64>) -> Option<Self> {
        Self::parse(x?, y?, width?, height?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: UserRect, b: UserRect) {
        let d = [(a.left, b.left), (a.bottom, b.bottom), (a.right, b.right), (a.top, b.top)];
        for (x, y) in d {
            assert!((x - y).abs() < 1e-9, "{a:?} != {b:?}");
        }
    }

    /// Letter page whose CropBox starts at (20, 30): 572 × 752 visible.
    fn page(rotation: u16) -> PageGeometry {
        PageGeometry { left: 20.0, bottom: 30.0, right: 592.0, top: 782.0, rotation }
    }

    #[test]
    fn unrotated_page_with_offset_cropbox() {
        let g = page(0);
        assert_eq!((g.display_width(), g.display_height()), (572.0, 752.0));
        let r = FieldRect::parse(0.0, 0.0, 0.5, 0.25).unwrap();
        // Top-left quarter-width strip at the top of the visible box.
        close(g.to_user_space(&r), UserRect { left: 20.0, bottom: 782.0 - 188.0, right: 20.0 + 286.0, top: 782.0 });
    }

    #[test]
    fn rotated_90_maps_display_top_left_to_box_bottom_left() {
        let g = page(90);
        assert_eq!((g.display_width(), g.display_height()), (752.0, 572.0));
        // A 10% × 10% square at the displayed top-left corner.
        let r = FieldRect::parse(0.0, 0.0, 0.1, 0.1).unwrap();
        close(g.to_user_space(&r), UserRect { left: 20.0, bottom: 30.0, right: 20.0 + 57.2, top: 30.0 + 75.2 });
        // The displayed bottom-right corner is the box's top-right corner.
        let r = FieldRect::parse(0.9, 0.9, 0.1, 0.1).unwrap();
        close(g.to_user_space(&r), UserRect { left: 592.0 - 57.2, bottom: 782.0 - 75.2, right: 592.0, top: 782.0 });
    }

    #[test]
    fn rotated_180_flips_both_axes() {
        let g = page(180);
        let r = FieldRect::parse(0.0, 0.0, 0.25, 0.5).unwrap();
        close(g.to_user_space(&r), UserRect { left: 592.0 - 143.0, bottom: 30.0, right: 592.0, top: 30.0 + 376.0 });
    }

    #[test]
    fn rotated_270_maps_display_top_left_to_box_top_right() {
        let g = page(270);
        let r = FieldRect::parse(0.0, 0.0, 0.1, 0.1).unwrap();
        close(g.to_user_space(&r), UserRect { left: 592.0 - 57.2, bottom: 782.0 - 75.2, right: 592.0, top: 782.0 });
    }

    #[test]
    fn every_rotation_keeps_the_area_and_stays_inside_the_box() {
        for rot in [0, 90, 180, 270] {
            let g = page(rot);
            let r = FieldRect::parse(0.3, 0.6, 0.2, 0.1).unwrap();
            let u = g.to_user_space(&r);
            let area = (u.right - u.left) * (u.top - u.bottom);
            assert!((area - 0.02 * 572.0 * 752.0).abs() < 1e-6, "rot {rot}");
            assert!(u.left >= g.left && u.right <= g.right && u.bottom >= g.bottom && u.top <= g.top);
        }
    }

    #[test]
    fn the_field_matrix_maps_the_field_box_onto_its_user_space_rectangle() {
        for rot in [0, 90, 180, 270] {
            let g = page(rot);
            let r = FieldRect::parse(0.2, 0.3, 0.25, 0.1).unwrap();
            let (m, fw, fh) = g.field_matrix(&r);
            let apply = |u: f64, v: f64| (m[0] * u + m[2] * v + m[4], m[1] * u + m[3] * v + m[5]);
            let corners = [apply(0.0, 0.0), apply(fw, 0.0), apply(0.0, fh), apply(fw, fh)];
            let u = g.to_user_space(&r);
            let (minx, maxx) = corners.iter().fold((f64::MAX, f64::MIN), |a, c| (a.0.min(c.0), a.1.max(c.0)));
            let (miny, maxy) = corners.iter().fold((f64::MAX, f64::MIN), |a, c| (a.0.min(c.1), a.1.max(c.1)));
            close(UserRect { left: minx, bottom: miny, right: maxx, top: maxy }, u);
            // Upright: local "up" points to the displayed top of the page.
            let up = (m[2], m[3]);
            let expected = match rot {
                0 => (0.0, 1.0),
                90 => (-1.0, 0.0),
                180 => (0.0, -1.0),
                _ => (1.0, 0.0),
            };
            assert!((up.0 - expected.0).abs() < 1e-9 && (up.1 - expected.1).abs() < 1e-9, "rot {rot}: {up:?}");
        }
    }

    #[test]
    fn rects_outside_the_page_or_empty_are_refused() {
        assert!(FieldRect::parse(0.9, 0.0, 0.2, 0.1).is_err());
        assert!(FieldRect::parse(-0.1, 0.0, 0.2, 0.1).is_err());
        assert!(FieldRect::parse(0.1, 0.1, 0.0, 0.1).is_err());
        assert!(FieldRect::parse(f64::NAN, 0.1, 0.1, 0.1).is_err());
        assert!(FieldRect::parse(0.8, 0.9, 0.2, 0.1).is_ok(), "touching the edges is fine");
    }

    #[test]
    fn displayed_points_go_back_to_where_they_came_from() {
        for rotation in [0, 90, 180, 270] {
            let g = PageGeometry { left: 10.0, bottom: 20.0, right: 605.0, top: 862.0, rotation };
            for (dx, dy) in [(0.0, 0.0), (100.0, 250.0), (g.display_width(), g.display_height())] {
                let (ux, uy) = g.display_point_to_user(dx, dy);
                let (bx, by) = g.user_point_to_display(ux, uy);
                assert!((bx - dx).abs() < 1e-9 && (by - dy).abs() < 1e-9, "rotation {rotation}: ({dx}, {dy}) came back as ({bx}, {by})");
            }
        }
    }
}
