import { describe, expect, it } from 'vitest';
import type { Probes } from '../src/aws-probes.js';
import { readConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { getJson } from './support.js';

describe('createApp with substituted probes', () => {
  it('answers an unexpected error with a 500 that reveals nothing internal', async () => {
    const failing = () => Promise.reject(new Error('secret internal detail'));
    const probes: Probes = { listBuckets: failing, describeInstances: failing };
    const running = await startServer({ config: readConfig({ PORT: '0', HOST: '127.0.0.1' }), probes, log: () => {} });
    try {
      const { status, body, text } = await getJson(`http://127.0.0.1:${running.address.port}/list-ec2`);

      expect(status).toBe(500);
      expect(body).toEqual({ error: { code: 'InternalError', message: 'Internal error' } });
      expect(text).not.toContain('secret');
    } finally {
      await running.close();
    }
  });
});

describe('as a sidecar (PROBE_BASE_PATH=/_dsenv)', () => {
  it('serves its routes under the prefix and leaves every other path unanswered (404)', async () => {
    // Prepare
    const answer = () => Promise.resolve({ summary: { count: 0 }, evidence: {} }) as never;
    const probes: Probes = { listBuckets: answer, describeInstances: answer };
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', PROBE_BASE_PATH: '/_dsenv' });
    const running = await startServer({ config, probes, log: () => {} });
    const url = (path: string) => `http://127.0.0.1:${running.address.port}${path}`;
    try {
      // Act
      const [health, buckets, rootHealth, root] = await Promise.all(
        ['/_dsenv/health', '/_dsenv/list-buckets', '/health', '/'].map((path) => getJson(url(path))),
      );

      // Assess
      expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(buckets).toMatchObject({ status: 200, body: { summary: { count: 0 } } });
      expect(rootHealth).toMatchObject({ status: 404 });
      expect(root).toMatchObject({ status: 404 });
    } finally {
      await running.close();
    }
  });
});

describe('readConfig', () => {
  it('defaults to port 3000 on :: with automatic IP family and a 5 s deadline', () => {
    expect(readConfig({})).toEqual({
      port: 3000,
      host: '::',
      hostExplicit: false,
      ipFamily: 0,
      region: undefined,
      endpoints: { s3: undefined, ec2: undefined },
      timeoutMs: 5000,
      basePath: '',
    });
  });

  it.each(['_dsenv', '/_dsenv/', '/a b'])('rejects PROBE_BASE_PATH=%s', (value) => {
    expect(() => readConfig({ PROBE_BASE_PATH: value })).toThrow(/PROBE_BASE_PATH/);
  });

  it('prefers AWS_REGION and service-specific endpoints', () => {
    const config = readConfig({
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: 'http://shared:1',
      AWS_ENDPOINT_URL_S3: 'http://s3-only:2',
    });

    expect(config.region).toBe('eu-west-1');
    expect(config.endpoints).toEqual({ s3: 'http://s3-only:2', ec2: 'http://shared:1' });
  });

  it.each(['5', 'six', '-4'])('rejects PROBE_IP_FAMILY=%s', (value) => {
    expect(() => readConfig({ PROBE_IP_FAMILY: value })).toThrow(/PROBE_IP_FAMILY/);
  });
});
