import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { byteSize, contentType, duration, positiveInteger } from '../../../app/cli/option-parsers.ts';

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

describe('duration', () => {
  it('reads seconds, minutes, hours and days, and a bare number as seconds', () => {
    expect(duration('90s')).toBe(90);
    expect(duration('30m')).toBe(1800);
    expect(duration('12h')).toBe(43_200);
    expect(duration('7d')).toBe(604_800);
    expect(duration('600')).toBe(600);
    expect(duration('1s')).toBe(1);
  });

  it('refuses zero, signs, fractions, spaces, other units, upper case and overflow', () => {
    for (const value of ['0', '0d', '', 's', '-5m', '+5m', '1.5h', ' 5m', '5m ', '5 m', '5w', '5ms', '5M', '5H', '1h30m', '1e3', '0x10', 'Infinity', '9007199254740993', '999999999999999d']) {
      expect(() => duration(value), JSON.stringify(value)).toThrow(InvalidArgumentError);
    }
  });

  it('says which forms it takes', () => {
    expect(() => duration('a week')).toThrow(/90s, 30m, 12h, 7d, or seconds/);
  });
});

describe('byteSize', () => {
  it('reads bytes, decimal units (powers of 1000) and binary units (powers of 1024), in any case', () => {
    expect(byteSize('1048576')).toBe(1_048_576);
    expect(byteSize('10MB')).toBe(10_000_000);
    expect(byteSize('5MiB')).toBe(5 * 1024 * 1024);
    expect(byteSize('5mib')).toBe(5 * 1024 * 1024);
    expect(byteSize('1.5GB')).toBe(1_500_000_000);
    expect(byteSize('1.1MB')).toBe(1_100_000);
    expect(byteSize('0.5KiB')).toBe(512);
    expect(byteSize('2KiB')).toBe(2048);
    expect(byteSize('1 KB')).toBe(1000);
    expect(byteSize('512B')).toBe(512);
  });

  it('refuses zero, signs, unknown units, fractions of a byte and sizes past the safe range', () => {
    for (const value of ['0', '0MB', '', 'MB', '-1MB', '+1MB', '10XB', '10 MB ', ' 10MB', '1.5B', '0.1KiB', '1e3', '0x10', 'Infinity', '10000000TB', '1.2.3MB']) {
      expect(() => byteSize(value), JSON.stringify(value)).toThrow(InvalidArgumentError);
    }
  });
});

describe('contentType', () => {
  it('takes media types with parameters', () => {
    for (const value of ['image/jpeg', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/plain; charset=utf-8', 'text/plain;charset="utf-8"']) {
      expect(contentType(value)).toBe(value);
    }
  });

  it('refuses what is not one: no slash, empty halves, spaces, line breaks, a parameter without value', () => {
    for (const value of ['jpeg', 'image/', '/jpeg', 'image /jpeg', 'image/jpeg\r\nx-amz-acl: public-read', 'text/plain; charset', '', 'image/jpeg/x']) {
      expect(() => contentType(value), JSON.stringify(value)).toThrow(InvalidArgumentError);
    }
  });
});
