//! Renderings of an [`Analysis`](crate::Analysis): text for people, JSON for tools, one
//! self-contained HTML page.

pub mod html;
pub mod json;
pub mod text;

/// Microseconds for people: `850 µs`, `12.3 ms`, `4.56 s`.
pub fn format_us(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else {
        format!("{:.2} s", us as f64 / 1_000_000.0)
    }
}

/// `text` cut to `max` characters with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
