/** The numbers behind the small vitals chart: blood pressure and pulse over time. */
import type { Encounter } from './bindings';

export type VitalsPoint = {
  id: string;
  at: number;
  occurred_at: string;
  systolic?: number;
  diastolic?: number;
  pulse?: number;
};

export type ChartGeometry = {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
};

export const GEOMETRY: ChartGeometry = {
  width: 640,
  height: 240,
  left: 44,
  right: 16,
  top: 12,
  bottom: 28,
};

/** Whether a visit has something the chart draws: a blood pressure or a pulse. */
function charted(e: Encounter): boolean {
  return e.vitals.bp_systolic != null || e.vitals.bp_diastolic != null || e.vitals.pulse != null;
}

/**
 * Encounters with a blood pressure or a pulse, oldest first. A voided visit (recorded by
 * mistake) is left out: its readings are not the patient's.
 */
export function vitalsPoints(encounters: Encounter[]): VitalsPoint[] {
  return encounters
    .filter((e) => !e.voided && charted(e))
    .map((e) => ({
      id: e.id,
      at: Date.parse(e.occurred_at),
      occurred_at: e.occurred_at,
      systolic: e.vitals.bp_systolic ?? undefined,
      diastolic: e.vitals.bp_diastolic ?? undefined,
      pulse: e.vitals.pulse ?? undefined,
    }))
    .filter((p) => !Number.isNaN(p.at))
    .sort((a, b) => a.at - b.at);
}

/** How many voided visits had readings the chart would otherwise draw (said under it). */
export function voidedLeftOut(encounters: Encounter[]): number {
  return encounters.filter((e) => !!e.voided && charted(e)).length;
}

/** The value axis: from a round number below the lowest value to one above the highest. */
export function valueRange(
  points: VitalsPoint[],
  step = 20,
): { min: number; max: number; ticks: number[] } {
  const values = points.flatMap((p) =>
    [p.systolic, p.diastolic, p.pulse].filter((v): v is number => v !== undefined),
  );
  if (values.length === 0) return { min: 0, max: step * 2, ticks: [0, step, step * 2] };
  let min = Math.floor(Math.min(...values) / step) * step;
  let max = Math.ceil(Math.max(...values) / step) * step;
  if (min === max) {
    min -= step;
    max += step;
  }
  const ticks: number[] = [];
  for (let v = min; v <= max; v += step) ticks.push(v);
  return { min: Math.max(0, min), max, ticks: ticks.filter((v) => v >= 0) };
}

/** Maps points to SVG coordinates. Equal times are spread evenly. */
export function layout(points: VitalsPoint[], g: ChartGeometry = GEOMETRY) {
  const { min, max, ticks } = valueRange(points);
  const plotW = g.width - g.left - g.right;
  const plotH = g.height - g.top - g.bottom;
  const first = points[0]?.at ?? 0;
  const last = points.at(-1)?.at ?? 0;
  const span = last - first;
  const x = (p: VitalsPoint, i: number) =>
    g.left +
    (points.length === 1
      ? plotW / 2
      : span > 0
        ? ((p.at - first) / span) * plotW
        : (i / (points.length - 1)) * plotW);
  const y = (v: number) => g.top + plotH - ((v - min) / (max - min)) * plotH;
  const series = (pick: (p: VitalsPoint) => number | undefined) =>
    points.flatMap((p, i) => {
      const v = pick(p);
      return v === undefined ? [] : [{ x: x(p, i), y: y(v), value: v, point: p }];
    });
  return {
    ticks: ticks.map((v) => ({ value: v, y: y(v) })),
    systolic: series((p) => p.systolic),
    diastolic: series((p) => p.diastolic),
    pulse: series((p) => p.pulse),
    xs: points.map((p, i) => x(p, i)),
  };
}

/** An SVG polyline `points` attribute. */
export function polyline(points: { x: number; y: number }[]): string {
  return points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}
