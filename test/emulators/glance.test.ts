// Contract tests of the Glance v2 emulator: image JSON field for field as the API reference samples in
// test/fixtures, the list envelope (`first`, `schema`, `next` relative to the endpoint root), `id=in:`
// batching, Glance's visibility rules (community, shared, private, os_hidden; admin), marker pagination to
// the end, and webob's JSON error shape with its string `code`. Real tiny cloud, real Keystone tokens.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { NO_FAULTS } from '../../subgraphs/emulator/emulator-server.ts';
import type { Image } from '../../subgraphs/seed/types.ts';

const sample = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/openstack-samples/glance/${file}`, import.meta.url), 'utf8'));
const LIST_SAMPLE = sample('images-list-response.json');
const SHOW_SAMPLE = sample('image-show-response.json');

let demo: DemoCloud;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  demo = await startTestCloud();
  for (const name of ['admin', 'alice', 'bob']) tokens[name] = (await issueToken(demo, name)).token;
});
afterAll(() => demo?.close());
afterEach(() => demo.setFaults('glance', NO_FAULTS));

async function glance(who: string, path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${demo.urls.glance}${path}`, { headers: { 'x-auth-token': tokens[who] } });
  return { status: res.status, json: await res.json() };
}
const names = (body: any) => body.images.map((i: any) => i.name).sort();
const project = (name: string) => demo.cloud.projects.find((p) => p.name === name)!.id;
const image = (name: string): Image => demo.cloud.images.find((i) => i.name === name)!;
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Follows `next` (relative to the endpoint root) to the end. */
async function walk(who: string, first: string) {
  const all: any[] = [];
  const pages: any[] = [];
  let path: string | undefined = first;
  while (path) {
    const r = await glance(who, path);
    expect(r.status).toBe(200);
    pages.push(r.json);
    all.push(...r.json.images);
    path = r.json.next;
  }
  return { all, pages };
}

describe('image shapes', () => {
  it("lists images with exactly the sample's fields and envelope", async () => {
    const r = await glance('alice', '/v2/images');
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(Object.keys(LIST_SAMPLE).sort());
    expect(r.json).toMatchObject({ first: '/v2/images', schema: '/v2/schemas/images' });
    for (const im of r.json.images) {
      expect(Object.keys(im).sort()).toEqual(Object.keys(LIST_SAMPLE.images[0]).sort());
      for (const [k, v] of Object.entries(LIST_SAMPLE.images[0])) if (v !== null) expect(jsonType(im[k]), k).toBe(jsonType(v));
      expect(im).toMatchObject({
        self: `/v2/images/${im.id}`,
        file: `/v2/images/${im.id}/file`,
        schema: '/v2/schemas/image',
        os_hash_algo: 'sha512',
      });
      expect(im.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(im.os_hash_value).toMatch(/^[0-9a-f]{128}$/);
    }
  });

  it("shows one image with the show sample's fields and the seed's values", async () => {
    const im = image('ubuntu-22.04');
    const r = await glance('bob', `/v2/images/${im.id}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(Object.keys(SHOW_SAMPLE).sort());
    expect(r.json).toMatchObject({
      id: im.id,
      name: im.name,
      owner: im.owner,
      size: im.size,
      checksum: im.checksum,
      min_disk: im.minDisk,
      visibility: 'public',
      os_hidden: false,
    });
  });
});

describe('visibility', () => {
  it("lists public, own private and shared images by default, but not community, hidden or others' private ones", async () => {
    const listed = names((await glance('alice', '/v2/images')).json);
    expect(listed).toContain('coreos-40'); // alice's project's private image
    expect(listed).toContain('alpine-3.20'); // shared
    expect(listed).toContain('ubuntu-24.04');
    expect(listed).not.toContain('arch-2026.01'); // community
    expect(listed).not.toContain('gpu-cuda-12'); // ml's private image
    expect(listed).not.toContain('build-scratch'); // os_hidden
    expect(names((await glance('bob', '/v2/images')).json)).not.toContain('coreos-40');
  });

  it('adds community images with visibility=all and narrows with the other values', async () => {
    const all = names((await glance('alice', '/v2/images?visibility=all')).json);
    expect(all).toContain('arch-2026.01');
    expect(all).not.toContain('gpu-cuda-12');
    expect(names((await glance('alice', '/v2/images?visibility=community')).json)).toEqual(['arch-2026.01']);
    expect(names((await glance('alice', '/v2/images?visibility=private')).json)).toEqual(['coreos-40']);
  });

  it('lists hidden images only with os_hidden=true', async () => {
    expect(names((await glance('alice', '/v2/images?os_hidden=true')).json)).toEqual(['build-scratch']);
    expect(names((await glance('alice', '/v2/images?visibility=all')).json)).not.toContain('build-scratch');
  });

  it("shows admins every project's private images", async () => {
    expect(names((await glance('admin', '/v2/images?visibility=private')).json)).toEqual(['coreos-40', 'gpu-cuda-12']);
    expect(names((await glance('admin', '/v2/images?visibility=all&limit=100')).json)).toHaveLength(demo.cloud.images.length - 1);
  });

  it("shows hidden and community images by id, and answers 404 for another project's private one", async () => {
    expect((await glance('alice', `/v2/images/${image('build-scratch').id}`)).json.os_hidden).toBe(true);
    expect((await glance('alice', `/v2/images/${image('arch-2026.01').id}`)).status).toBe(200);
    const id = image('gpu-cuda-12').id;
    expect(await glance('alice', `/v2/images/${id}`)).toEqual({
      status: 404,
      json: { message: `No image found with ID ${id}`, code: '404 Not Found', title: 'Not Found' },
    });
  });
});

describe('batching and pagination', () => {
  it('answers id=in: with exactly the listed images, and a plain id= with one', async () => {
    const wanted = ['ubuntu-20.04', 'debian-12', 'rocky-9', 'coreos-40'].map((n) => image(n).id);
    const r = await glance('alice', `/v2/images?id=in:${wanted.join(',')}&limit=100`);
    expect(r.json.images.map((i: any) => i.id).sort()).toEqual([...wanted].sort());
    expect((await glance('alice', `/v2/images?id=${wanted[0]}`)).json.images.map((i: any) => i.id)).toEqual([wanted[0]]);
    const quoted = await glance('alice', `/v2/images?name=in:"debian-11","debian-12"`);
    expect(names(quoted.json)).toEqual(['debian-11', 'debian-12']);
  });

  it('does not return a community image to an id=in: lookup unless visibility=all', async () => {
    const id = image('arch-2026.01').id;
    expect((await glance('alice', `/v2/images?id=in:${id}`)).json.images).toEqual([]);
    expect((await glance('alice', `/v2/images?id=in:${id}&visibility=all`)).json.images).toHaveLength(1);
  });

  it('walks `next` to exactly the full listing, keeping the other parameters', async () => {
    const full = (await glance('alice', '/v2/images?visibility=all&limit=1000')).json.images.map((i: any) => i.id);
    const { all, pages } = await walk('alice', '/v2/images?visibility=all&limit=4');
    expect(all.map((i) => i.id)).toEqual(full);
    expect(pages[0].next).toBe(`/v2/images?visibility=all&limit=4&marker=${pages[0].images[3].id}`);
    expect(pages[1].first).toBe('/v2/images?visibility=all&limit=4');
  });

  it('ends an exactly full last page with a `next` that returns an empty page without `next`', async () => {
    const count = (await glance('alice', '/v2/images?limit=1000')).json.images.length;
    const { pages } = await walk('alice', `/v2/images?limit=${count}`);
    expect(pages).toHaveLength(2);
    expect(pages[0].images).toHaveLength(count);
    expect(pages[1].images).toEqual([]);
    expect(pages[1]).not.toHaveProperty('next');
  });

  it('pages 25 images by default', async () => {
    const r = await glance('admin', '/v2/images?visibility=all');
    expect(r.json.images).toHaveLength(Math.min(25, demo.cloud.images.length - 1));
  });
});

describe('errors', () => {
  const badRequest = (message: string) => ({ status: 400, json: { message, code: '400 Bad Request', title: 'Bad Request' } });

  it('rejects bad limits, markers, visibilities and filter values with 400', async () => {
    expect(await glance('alice', '/v2/images?limit=ten')).toEqual(badRequest('limit param must be an integer'));
    expect(await glance('alice', '/v2/images?limit=-1')).toEqual(badRequest('limit param must be positive'));
    expect(await glance('alice', '/v2/images?marker=nope')).toEqual(badRequest('No image found with ID nope'));
    expect(await glance('alice', '/v2/images?visibility=everyone')).toEqual(badRequest('Invalid visibility value: everyone'));
    expect(await glance('alice', '/v2/images?id=in:"a,b')).toEqual(badRequest('Invalid filter value "a,b. The quote is not closed.'));
    expect(await glance('alice', '/v2/images?id=like:a')).toEqual(badRequest("Unable to filter by unknown operator 'like'."));
  });

  it('refuses a marker the caller may not see with 403', async () => {
    const r = await glance('alice', `/v2/images?marker=${image('gpu-cuda-12').id}`);
    expect(r).toMatchObject({ status: 403, json: { code: '403 Forbidden', title: 'Forbidden' } });
  });

  it("answers a missing token with 401 and injected failures with a 500 in webob's shape", async () => {
    const res = await fetch(`${demo.urls.glance}/v2/images`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe(401);
    demo.setFaults('glance', { errorRate: 1 });
    expect(await glance('alice', '/v2/images')).toMatchObject({
      status: 500,
      json: { code: '500 Internal Server Error', title: 'Internal Server Error', message: expect.any(String) },
    });
  });
});

it('keeps the seeded visibility mix these tests rely on', () => {
  expect(image('coreos-40')).toMatchObject({ visibility: 'private', owner: project('web') });
  expect(image('gpu-cuda-12')).toMatchObject({ visibility: 'private', owner: project('ml') });
  expect(image('arch-2026.01').visibility).toBe('community');
  expect(image('alpine-3.20').visibility).toBe('shared');
  expect(image('build-scratch').hidden).toBe(true);
});
