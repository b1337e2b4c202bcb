/**
 * Jest global teardown. Nothing to do: every integration test file starts and stops its own
 * moto_server (tests/support/moto-server.ts), which also kills it when the worker exits.
 */
export default async function globalTeardown(): Promise<void> {}
