import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../../app/cli/cli-usage-error.ts';
import { parseRemotePath } from '../../../app/cli/location-path.ts';
import { permissionsAt } from '../../../app/library/index.ts';
import { describeDenial, resolveLocation, resolvePath } from '../../../app/cli/location-resolution.ts';
import { ALICE_LOCATIONS, OWN_ID } from './alice-locations.ts';

const FRIEND_ID = 'us-east-1:0b6e1c1e-0000-4000-8000-000000000002';
const LOCATIONS = ALICE_LOCATIONS;

const resolve = (typed: string) => resolvePath(parseRemotePath(typed), LOCATIONS, typed);
const usageError = (run: () => unknown): CliUsageError => {
  try {
    run();
  } catch (error) {
    if (error instanceof CliUsageError) return error;
    throw error;
  }
  throw new Error('expected a usage error');
};

describe('matching a typed path to a location', () => {
  it('a bare path is in the own (default) location; a named one in that location', () => {
    expect(resolve('a.txt')).toMatchObject({ location: { name: 'private' }, key: 'a.txt', display: 'private:a.txt' });
    expect(resolve('team:plans/q3.xlsx')).toMatchObject({ location: { name: 'team', prefix: 'tenants/acme/' }, key: 'plans/q3.xlsx', display: 'team:plans/q3.xlsx' });
  });

  it('an unknown location is refused with the list of the ones this identity has', () => {
    const error = usageError(() => resolve('secret:a.txt'));
    expect(error.code).toBe('UnknownLocation');
    expect(error.message).toContain('No location "secret"');
    expect(error.message).toContain('private, protected, shared, team');
  });

  it('a location the rules publish but this identity lacks (no tenant tag) is unknown too', () => {
    const withoutTeam = LOCATIONS.filter((location) => location.name !== 'team');
    expect(usageError(() => resolveLocation('team', withoutTeam)).message).toContain('Your locations: private, protected, shared (');
  });

  it('without a default location a bare path says which locations to name', () => {
    const error = usageError(() => resolveLocation(undefined, LOCATIONS.slice(1)));
    expect(error.code).toBe('UnknownLocation');
    expect(error.message).toContain('protected, shared, team');
  });
});

describe('protected locations: keys begin with an identity folder', () => {
  it("takes another identity's or the own folder", () => {
    expect(resolve(`protected:${FRIEND_ID}/photo.jpg`).key).toBe(`${FRIEND_ID}/photo.jpg`);
    expect(resolve(`protected:${OWN_ID}/`).key).toBe(`${OWN_ID}/`);
  });

  it('refuses the top, a key without an identity, or an identity without a folder, and shows the own folder', () => {
    for (const typed of ['protected:', 'protected:photo.jpg', 'protected:holiday/photo.jpg', `protected:${FRIEND_ID}`]) {
      const error = usageError(() => resolve(typed));
      expect(error.code, typed).toBe('IdentityMissing');
      expect(error.message).toContain(`Yours is protected:${OWN_ID}/`);
      expect(error.message).toContain('scoped-storage lookup');
    }
  });
});

describe('permissions and denials', () => {
  it("the own folder of a protected location has the owner's rights, other folders the location's", () => {
    const protectedLocation = LOCATIONS[1]!;
    expect(permissionsAt(protectedLocation, `${OWN_ID}/a.jpg`)).toEqual(['read', 'write', 'delete', 'list']);
    expect(permissionsAt(protectedLocation, `${FRIEND_ID}/a.jpg`)).toEqual(['read', 'list']);
    // Prefix confusion: an id that only starts like the own one is someone else's folder.
    expect(permissionsAt(protectedLocation, `${OWN_ID}0/a.jpg`)).toEqual(['read', 'list']);
  });

  it('a refused write says what the location allows', () => {
    expect(describeDenial(resolve('shared:handbook.pdf'), 'write')).toBe('Access denied: you may not write in shared:handbook.pdf (shared: allows you read, list).');
    expect(describeDenial(resolve('team:a.txt'), 'write')).toBe('Access denied for team:a.txt: the storage service refused to write there.');
  });
});
