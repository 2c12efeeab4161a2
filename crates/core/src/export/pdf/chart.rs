//! Vital signs over time, drawn as vector line charts: one small panel per sign that has at
//! least two readings, each with its range and first and last dates, so a trend reads at a
//! glance and prints sharp at any size.

use super::layout::{BODY_WIDTH, Flow, INK, MARGIN, MUTED, RULE, Tint, Weight, rgb};
use crate::clock;
use crate::encounters::Encounter;

const PANEL_HEIGHT: f32 = 110.0;
const PANEL_GAP: f32 = 18.0;

struct Series {
    name: &'static str,
    color: Tint,
    points: Vec<(i64, f64)>,
}

/// The panels a chart shows: each is a title and one or two series.
fn panels(encounters: &[Encounter]) -> Vec<(&'static str, Vec<Series>)> {
    let mut ordered: Vec<(i64, &Encounter)> = encounters
        .iter()
        .filter_map(|e| clock::parse_instant(&e.occurred_at).map(|t| (t, e)))
        .collect();
    ordered.sort_by_key(|(t, _)| *t);
    let series = |name, color, read: &dyn Fn(&Encounter) -> Option<f64>| Series {
        name,
        color,
        points: ordered
            .iter()
            .filter_map(|(t, e)| read(e).map(|v| (*t, v)))
            .collect(),
    };
    let red = rgb(0.72, 0.12, 0.12);
    let blue = rgb(0.12, 0.30, 0.68);
    vec![
        (
            "Blood pressure (mmHg)",
            vec![
                series("systolic", red, &|e| e.vitals.bp_systolic.map(f64::from)),
                series("diastolic", blue, &|e| e.vitals.bp_diastolic.map(f64::from)),
            ],
        ),
        (
            "Pulse (beats/min)",
            vec![series("pulse", red, &|e| e.vitals.pulse.map(f64::from))],
        ),
        (
            "Temperature (°C)",
            vec![series("temperature", red, &|e| e.vitals.temperature_c)],
        ),
        (
            "Oxygen saturation (%)",
            vec![series("SpO₂", blue, &|e| e.vitals.spo2.map(f64::from))],
        ),
        (
            "Weight (kg)",
            vec![series("weight", blue, &|e| e.vitals.weight_kg)],
        ),
    ]
    .into_iter()
    .filter(|(_, series)| series.iter().any(|s| s.points.len() >= 2))
    .collect()
}

/// Draws the charts of `encounters`' vital signs, two panels a row.
pub(super) fn vitals(flow: &mut Flow, encounters: &[Encounter]) {
    let panels = panels(encounters);
    if panels.is_empty() {
        return;
    }
    flow.ensure(PANEL_HEIGHT + 40.0);
    flow.gap(10.0);
    flow.paragraph("Vital signs over time", Weight::Bold, 11.0, INK);
    let width = (BODY_WIDTH - PANEL_GAP) / 2.0;
    for row in panels.chunks(2) {
        let bottom = flow.block(PANEL_HEIGHT + 14.0);
        for (i, (title, series)) in row.iter().enumerate() {
            let x = MARGIN + i as f32 * (width + PANEL_GAP);
            panel(flow, x, bottom, width, title, series);
        }
    }
}

fn panel(flow: &mut Flow, x: f32, bottom: f32, width: f32, title: &str, series: &[Series]) {
    let title = flow.fonts.printable(title);
    flow.text_at(
        &title,
        x,
        bottom + PANEL_HEIGHT + 2.0,
        Weight::Bold,
        8.0,
        INK,
    );
    let plot_left = x + 30.0;
    let plot_bottom = bottom + 16.0;
    let plot_width = width - 34.0;
    let plot_height = PANEL_HEIGHT - 26.0;
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut t0, mut t1, mut v0, mut v1) = (i64::MAX, i64::MIN, f64::MAX, f64::MIN);
    for &(t, v) in all {
        (t0, t1, v0, v1) = (t0.min(t), t1.max(t), v0.min(v), v1.max(v));
    }
    if v1 - v0 < 1e-9 {
        (v0, v1) = (v0 - 1.0, v1 + 1.0);
    }
    let pad = (v1 - v0) * 0.1;
    let (v0, v1) = (v0 - pad, v1 + pad);
    let span = (t1 - t0).max(1) as f64;
    let at = |t: i64, v: f64| {
        (
            plot_left + ((t - t0) as f64 / span) as f32 * plot_width,
            plot_bottom + ((v - v0) / (v1 - v0)) as f32 * plot_height,
        )
    };
    flow.line(
        &[
            (plot_left, plot_bottom + plot_height),
            (plot_left, plot_bottom),
            (plot_left + plot_width, plot_bottom),
        ],
        RULE,
        0.6,
    );
    for (value, y) in [
        (v1 - pad, plot_bottom + plot_height * 0.909),
        (v0 + pad, plot_bottom + plot_height * 0.091),
    ] {
        flow.text_at(
            &format!("{value:.0}"),
            x,
            y - 2.5,
            Weight::Regular,
            6.5,
            MUTED,
        );
        flow.line(&[(plot_left - 2.0, y), (plot_left, y)], RULE, 0.6);
    }
    let first = clock::to_rfc3339(t0);
    let last = clock::to_rfc3339(t1);
    flow.text_at(
        first.get(..10).unwrap_or_default(),
        plot_left,
        bottom + 6.0,
        Weight::Regular,
        6.5,
        MUTED,
    );
    let last = last.get(..10).unwrap_or_default();
    let last_width = flow.fonts.width(last, Weight::Regular, 6.5);
    flow.text_at(
        last,
        plot_left + plot_width - last_width,
        bottom + 6.0,
        Weight::Regular,
        6.5,
        MUTED,
    );
    let mut legend_x = plot_left + plot_width;
    for s in series.iter().rev() {
        let points: Vec<(f32, f32)> = s.points.iter().map(|&(t, v)| at(t, v)).collect();
        flow.line(&points, s.color, 1.2);
        for &(px, py) in &points {
            flow.fill_rect(px - 1.2, py - 1.2, 2.4, 2.4, s.color);
        }
        if series.len() > 1 {
            let name = flow.fonts.printable(s.name);
            legend_x -= flow.fonts.width(&name, Weight::Regular, 6.5) + 8.0;
            flow.text_at(
                &name,
                legend_x,
                bottom + PANEL_HEIGHT + 2.0,
                Weight::Regular,
                6.5,
                s.color,
            );
        }
    }
}
