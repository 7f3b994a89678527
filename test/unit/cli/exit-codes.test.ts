import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor } from '../../../app/cli/exit-codes.ts';

describe('exit codes scripts branch on', () => {
  it('each library error code has its exit code', () => {
    expect(exitCodeFor('SignInRequired')).toBe(3);
    expect(exitCodeFor('AccessDenied')).toBe(4);
    expect(exitCodeFor('InvalidLocation')).toBe(4);
    expect(exitCodeFor('LinkDenied')).toBe(4);
    expect(exitCodeFor('DeliveryNotConfigured')).toBe(EXIT_CODES.usage);
    expect(exitCodeFor('NotFound')).toBe(5);
    expect(exitCodeFor('AlreadyExists')).toBe(6);
    expect(exitCodeFor('Conflict')).toBe(6);
    expect(exitCodeFor('Network')).toBe(7);
    expect(exitCodeFor('Expired')).toBe(8);
    expect(exitCodeFor('Aborted')).toBe(130);
    expect(exitCodeFor('InvalidKey')).toBe(EXIT_CODES.usage);
    expect(exitCodeFor('InvalidArgument')).toBe(EXIT_CODES.usage);
    expect(exitCodeFor('ServiceError')).toBe(EXIT_CODES.failure);
    expect(exitCodeFor('TooLarge')).toBe(EXIT_CODES.failure);
  });
});
