import { bigintToNumber } from './bigint-number.transformer';

describe('bigintToNumber', () => {
  it('reads int8 strings from pg as numbers', () => {
    expect(bigintToNumber.from('0')).toBe(0);
    expect(bigintToNumber.from('5368709120')).toBe(5_368_709_120);
    expect(bigintToNumber.from(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(bigintToNumber.from(null)).toBeNull();
  });

  it('refuses values that a JS number cannot hold exactly', () => {
    expect(() => bigintToNumber.from('9007199254740993')).toThrow(RangeError);
    expect(() => bigintToNumber.from('12.5')).toThrow(RangeError);
    expect(() => bigintToNumber.to(2 ** 53)).toThrow(RangeError);
  });

  it('writes safe integers unchanged', () => {
    expect(bigintToNumber.to(42)).toBe(42);
    expect(bigintToNumber.to(null)).toBeNull();
  });
});
