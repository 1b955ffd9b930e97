// Durations the settings store in seconds, edited as an amount and a unit.

export type Unit = "seconds" | "minutes" | "hours" | "days";
export const UNIT_SECONDS: Record<Unit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
export const UNITS: Unit[] = ["seconds", "minutes", "hours", "days"];

/** The largest unit that shows `seconds` as a whole number. */
export function bestUnit(seconds: number): Unit {
  for (const unit of ["days", "hours", "minutes"] as const) {
    if (seconds % UNIT_SECONDS[unit] === 0) return unit;
  }
  return "seconds";
}
