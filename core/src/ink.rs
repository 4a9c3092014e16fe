//! How a drawn signature's strokes are rendered — the same on the pad in the browser and in
//! the sealed PDF: smoothed through the midpoints, width from pen pressure, or from speed
//! when the device reports none (faster is thinner, as with ink).

use crate::model::{PointerKind, Stroke};

/// Stroke widths at each point, for a pad `w` units wide.
pub fn widths(s: &Stroke, w: f64) -> Vec<f64> {
    let base = (w * 0.0075).max(w / 400.0);
    let mut out = Vec::with_capacity(s.points.len());
    let mut prev = base;
    for (i, p) in s.points.iter().enumerate() {
        let target = match p.p {
            Some(pressure) if s.pointer == PointerKind::Pen => base * (0.35 + 1.3 * f64::from(pressure.clamp(0.0, 1.0))),
            _ if i == 0 => base,
            _ => {
                let q = s.points[i - 1];
                let dist = f64::from((p.x - q.x).hypot(p.y - q.y));
                let dt = f64::from((p.t - q.t).max(1.0)) / 1000.0;
                base * (1.25 - 0.35 * (dist / dt)).clamp(0.5, 1.25)
            }
        };
        prev = prev * 0.6 + target * 0.4;
        out.push(prev);
    }
    out
}

/// One piece of a smoothed stroke: a quadratic curve from `from` through control `ctrl` to
/// `to`, drawn `width` wide. A single point is a dot (from = ctrl = to).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub from: (f64, f64),
    pub ctrl: (f64, f64),
    pub to: (f64, f64),
    pub width: f64,
}

/// The segments of a stroke whose points are already in drawing coordinates.
pub fn segments(pts: &[(f64, f64)], widths: &[f64]) -> Vec<Segment> {
    if pts.len() == 1 {
        return vec![Segment { from: pts[0], ctrl: pts[0], to: pts[0], width: widths[0] }];
    }
    let mid = |a: (f64, f64), b: (f64, f64)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let mut out = Vec::with_capacity(pts.len());
    let mut from = pts[0];
    for i in 1..pts.len() {
        let to = if i + 1 < pts.len() { mid(pts[i], pts[i + 1]) } else { pts[i] };
        out.push(Segment { from, ctrl: pts[i], to, width: widths[i] });
        from = to;
    }
    out
}

/// A short fingerprint of strokes (FNV-1a over their JSON): the pad shows it so tests can see
/// that a redraw kept the drawing exactly.
pub fn digest(strokes: &[Stroke]) -> String {
    let json = serde_json::to_string(strokes).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StrokePoint;

    fn stroke(pointer: PointerKind, step: f32, p: Option<f32>) -> Stroke {
        Stroke { pointer, points: (0..10).map(|i| StrokePoint { x: i as f32 * step, y: 0.5, t: i as f32 * 16.0, p }).collect() }
    }

    #[test]
    fn pen_width_follows_pressure() {
        let light = widths(&stroke(PointerKind::Pen, 0.01, Some(0.1)), 600.0);
        let heavy = widths(&stroke(PointerKind::Pen, 0.01, Some(0.9)), 600.0);
        assert!(heavy[9] > light[9] * 2.0);
    }

    #[test]
    fn without_pressure_faster_strokes_are_thinner() {
        assert!(widths(&stroke(PointerKind::Mouse, 0.08, None), 600.0)[9] < widths(&stroke(PointerKind::Mouse, 0.002, None), 600.0)[9]);
    }

    #[test]
    fn segments_pass_through_midpoints_and_end_on_the_last_point() {
        let s = segments(&[(0.0, 0.0), (2.0, 0.0), (4.0, 2.0)], &[1.0, 1.0, 1.0]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].to, (3.0, 1.0));
        assert_eq!(s[1].to, (4.0, 2.0));
        assert_eq!(segments(&[(1.0, 1.0)], &[2.0])[0].from, (1.0, 1.0));
    }

    #[test]
    fn the_digest_changes_with_the_drawing() {
        let a = vec![stroke(PointerKind::Mouse, 0.05, None)];
        let mut b = a.clone();
        b[0].points[2].x += 0.01;
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
    }
}
