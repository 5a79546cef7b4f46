import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startServer, type TestServer } from './helpers.js';

describe('smoke', () => {
  let site: TestServer;
  beforeEach(async () => {
    site = await startServer();
  });
  afterEach(async () => {
    await site.close();
  });

  it('serves index.html at /', async () => {
    const res = await request(site.url).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Fixture home');
  });
});
