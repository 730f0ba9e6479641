import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { DialectAdapter, TenantSession } from '../../src/dialect/types.js';
import { createHostConnections } from '../../src/fleet/connection-limit.js';

const tenant = (id: string, host: string): Tenant => ({
  id,
  dialect: 'postgres',
  connection: {},
  host,
  database: id,
  tags: [],
});

/** Only what the connection tracking reads of an adapter: whether it is file-based, and error codes. */
const adapter = {
  capabilities: { fileBased: false },
  classifyError: (err: unknown) => ({ code: (err as { code: string }).code, message: 'no answer' }),
} as unknown as DialectAdapter;

const unreachable = () =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'UNREACHABLE' }));

describe('connection tracking counts one server under all its loopback spellings', () => {
  it('a server down under `localhost` is down under `127.0.0.1`: not tried, named as the inventory spells it', async () => {
    const events: FleetEvent[] = [];
    const connections = createHostConnections({
      lowerHostCap: () => undefined,
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
    });
    for (const id of ['a', 'b', 'c'])
      await assert.rejects(connections.open(tenant(id, 'postgres://localhost:5432'), adapter, unreachable));
    let tried = false;
    await assert.rejects(
      connections.open(tenant('d', 'postgres://127.0.0.1:5432'), adapter, () => {
        tried = true;
        return Promise.resolve({} as TenantSession);
      }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'HOST_DOWN');
        assert.match(err.message, /postgres:\/\/127\.0\.0\.1:5432 did not answer/);
        return true;
      },
    );
    assert.equal(tried, false, 'the other spelling of a down server was tried again');
    const notice = events.find((e) => e.type === 'notice');
    assert.match(
      notice && 'message' in notice ? notice.message : '',
      /^postgres:\/\/localhost:5432 did not answer/,
    );
  });

  it('another port is another server', async () => {
    const connections = createHostConnections({
      lowerHostCap: () => undefined,
      emit: () => {},
      signal: new AbortController().signal,
    });
    for (const id of ['a', 'b', 'c'])
      await assert.rejects(connections.open(tenant(id, 'postgres://localhost:5432'), adapter, unreachable));
    const session = await connections.open(tenant('d', 'postgres://localhost:5433'), adapter, () =>
      Promise.resolve({ close: async () => {} } as unknown as TenantSession),
    );
    assert.ok(session);
  });
});
