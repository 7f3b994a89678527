/**
 * A bucket's blob directory holds files the database knows nothing of: most likely
 * `local-cloud.sqlite` was deleted or replaced. Start-up refuses rather than treat the bytes as
 * leftovers, since without the database nothing says which object they belong to.
 */
export class ObjectBytesWithoutDatabaseError extends Error {
  readonly code = 'ObjectBytesWithoutDatabase';

  constructor(
    readonly bytesDirectory: string,
    readonly databaseFile: string,
  ) {
    super(
      `${bytesDirectory} holds object bytes that ${databaseFile} has no record of (was the database deleted?). ` +
        `Restore ${databaseFile} from a backup to keep these objects, or delete ${bytesDirectory} to start this bucket empty.`,
    );
    this.name = 'ObjectBytesWithoutDatabaseError';
  }
}
