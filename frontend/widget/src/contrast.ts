// Merchant-chosen colours stay readable: text on the accent colour is black or white,
// whichever contrasts more (WCAG 2 relative luminance), and text on the background falls back
// to black or white when the chosen pair contrasts less than 4.5:1 (WCAG AA, body text).

export function parseHex(colour: string): [number, number, number] | null {
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim());
  if (!match) return null;
  let hex = match[1]!;
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
  return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [
    number,
    number,
    number,
  ];
}

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

export function luminance(rgb: [number, number, number]): number {
  return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
}

export function contrastRatio(a: string, b: string): number | null {
  const first = parseHex(a);
  const second = parseHex(b);
  if (!first || !second) return null;
  const [light, dark] = [luminance(first), luminance(second)].sort((x, y) => y - x) as [
    number,
    number,
  ];
  return (light + 0.05) / (dark + 0.05);
}

/** Black or white, whichever reads better on `background`. */
export function readableOn(background: string): string {
  const toBlack = contrastRatio(background, "#000000") ?? 21;
  const toWhite = contrastRatio(background, "#ffffff") ?? 1;
  return toBlack >= toWhite ? "#000000" : "#ffffff";
}

/** `text` when it reads on `background` at 4.5:1 or more, else black or white. */
export function readableText(text: string, background: string): string {
  const ratio = contrastRatio(text, background);
  return ratio !== null && ratio >= 4.5 ? text : readableOn(background);
}
