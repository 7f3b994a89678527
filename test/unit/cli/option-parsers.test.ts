import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { positiveInteger } from '../../../app/cli/option-parsers.ts';

describe('positiveInteger', () => {
  it('takes whole decimal numbers above zero', () => {
    expect(positiveInteger('600')).toBe(600);
    expect(positiveInteger('1')).toBe(1);
    expect(positiveInteger('007')).toBe(7);
  });

  it('refuses other ways of writing numbers, fractions, zero and numbers past the safe range', () => {
    for (const value of ['1e3', '0x10', '0b11', '0o7', ' 5', '5 ', '+5', '-5', '1.5', '1.0', '0', '', 'Infinity', '9007199254740993']) {
      expect(() => positiveInteger(value), JSON.stringify(value)).toThrow(InvalidArgumentError);
    }
  });
});
