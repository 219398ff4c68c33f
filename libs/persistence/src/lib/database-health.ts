import { DataSource } from 'typeorm';
import { PersistenceError, PersistenceErrorCode } from './persistence.error';

/**
 * Readiness check: resolves when the database answers `SELECT 1` within `timeoutMs`,
 * otherwise rejects with PersistenceError(Unavailable). Runs outside any tenant
 * transaction and touches no tenant data.
 */
export async function pingDatabase(dataSource: DataSource, timeoutMs = 2_000): Promise<void> {
  if (!dataSource.isInitialized) {
    throw new PersistenceError(PersistenceErrorCode.Unavailable, 'database connection is not initialized');
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PersistenceError(PersistenceErrorCode.Unavailable, `database did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([dataSource.query('SELECT 1'), timeout]);
  } catch (err) {
    if (err instanceof PersistenceError) throw err;
    throw new PersistenceError(PersistenceErrorCode.Unavailable, 'database is unavailable', {
      cause: err instanceof Error ? err.message : String(err),
    });
  } finally {
    clearTimeout(timer);
  }
}
