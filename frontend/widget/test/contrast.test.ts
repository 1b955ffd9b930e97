import { describe, expect, it } from "vitest";
import { contrastRatio, readableOn, readableText } from "../src/contrast";

describe("colours chosen by the merchant stay readable", () => {
  it("computes WCAG contrast ratios", () => {
    expect(contrastRatio("#000", "#fff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("red", "#fff")).toBeNull();
  });

  it("puts black text on a light accent and white on a dark one", () => {
    expect(readableOn("#ffd400")).toBe("#000000");
    expect(readableOn("#1d4e89")).toBe("#ffffff");
  });

  it("keeps a text colour that reads, replaces one that does not", () => {
    expect(readableText("#333333", "#ffffff")).toBe("#333333");
    expect(readableText("#bbbbbb", "#ffffff")).toBe("#000000");
    for (const background of ["#ffffff", "#101010", "#ffd400", "#1d4e89", "#e60023"]) {
      expect(contrastRatio(readableText("#888888", background), background)).toBeGreaterThanOrEqual(4.5);
    }
  });
});
