// Contract tests of the catalogs the emulated Keystone hands out in each catalog style (subgraphs/keystone/
// catalog-styles.ts) and of the version documents behind them, as deployed clouds show them (issue #10): Cinder under
// every os-service-types alias (block-storage, volumev3, volumev2, volume), endpoint URLs with and without a version
// suffix or the project id, and each root's version document readable without a token — Nova's and Cinder's with
// their configured maximum microversion, Glance's list of v2.x, Neutron's v2.0, Placement's range at its root.
// https://service-types.openstack.org/service-types.json · https://docs.openstack.org/api-ref/image/versions/
// https://docs.openstack.org/api-ref/network/v2/#list-api-versions · https://docs.openstack.org/api-ref/compute/#versions
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, startTestCloud, type DemoCloud } from '../helpers/cloud.ts';
import { CATALOG_STYLES, type CatalogStyle } from '../../subgraphs/keystone/catalog-styles.ts';

/** The public endpoint of each catalog type, the token's project id written as `<project>`. */
async function catalogOf(cloud: DemoCloud): Promise<Record<string, string>> {
  const { body } = await issueToken(cloud, 'alice');
  const project = body.token.project.id;
  const out: Record<string, string> = {};
  for (const entry of body.token.catalog) {
    const urls = entry.endpoints.filter((e: any) => e.interface === 'public').map((e: any) => e.url);
    expect(urls, entry.type).toHaveLength(1);
    out[entry.type] = urls[0].split(project).join('<project>');
  }
  return out;
}

/** What each style registers, relative to the emulators' URLs (`N` Nova, `C` Cinder, `G` Glance, `Q` Neutron, `P` Placement). */
const EXPECTED: Record<CatalogStyle, Record<string, string>> = {
  default: {
    compute: 'N/v2.1',
    volumev3: 'C/v3/<project>',
    'block-storage': 'C/v3/<project>',
    image: 'G',
    network: 'Q/',
    placement: 'P',
  },
  volumev2: { compute: 'N/v2.1', volumev2: 'C/v2/<project>', image: 'G', network: 'Q/', placement: 'P' },
  unversioned: { compute: 'N/', 'block-storage': 'C/', image: 'G/', network: 'Q', placement: 'P/' },
  'no-project-id': { compute: 'N/v2.1', volumev3: 'C/v3', 'block-storage': 'C/v3', image: 'G', network: 'Q/', placement: 'P' },
  'volume-only': { compute: 'N/v2.1', volume: 'C/v1/<project>', image: 'G/v2', network: 'Q/v2.0', placement: 'P' },
  'every-alias': {
    compute: 'N/v2.1/',
    volume: 'C/v1/<project>',
    volumev2: 'C/v2/<project>',
    volumev3: 'C/v3/<project>',
    'block-storage': 'C/retired/v3/<project>',
    image: 'G/v2/',
    network: 'Q/v2.0/',
    placement: 'P',
  },
};

describe.each(CATALOG_STYLES)('the %s catalog', (style) => {
  let cloud: DemoCloud;
  beforeAll(async () => {
    cloud = await startTestCloud({ size: 'tiny', catalogStyle: style });
  });
  afterAll(() => cloud?.close());

  it('registers each service under the types and URLs the style names, the project id substituted', async () => {
    const u = cloud.urls;
    const abbreviated = Object.fromEntries(
      Object.entries(await catalogOf(cloud)).map(([type, url]) => [
        type,
        url.replace(u.nova, 'N').replace(u.cinder, 'C').replace(u.glance, 'G').replace(u.neutron, 'Q').replace(u.placement, 'P'),
      ]),
    );
    expect(abbreviated).toEqual({ identity: `${u.keystone}/v3`, ...EXPECTED[style] });
  });
});

describe('version documents behind every catalog URL', () => {
  let current: DemoCloud;
  let older: DemoCloud;
  beforeAll(async () => {
    [current, older] = await Promise.all([
      startTestCloud({ size: 'tiny' }),
      startTestCloud({ size: 'tiny', maxMicroversion: { nova: '2.60', cinder: '3.44', placement: '1.10' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([current?.close(), older?.close()]);
  });
  const doc = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('serves Nova’s root without a token: the legacy v2.0 beside v2.1 with the configured maximum', async () => {
    for (const [cloud, max] of [
      [current, '2.96'],
      [older, '2.60'],
    ] as const) {
      const { status, body } = await doc(`${cloud.urls.nova}/`);
      expect(status).toBe(200);
      const v21 = body.versions.find((v: any) => v.id === 'v2.1');
      expect(v21).toMatchObject({ status: 'CURRENT', min_version: '2.1', version: max });
      expect(v21.links.find((l: any) => l.rel === 'self').href).toBe(`${cloud.urls.nova}/v2.1/`);
      expect(body.versions.find((v: any) => v.id === 'v2.0').version).toBe('');
    }
  });

  it('serves Cinder’s root as 300 Multiple Choices with v3 up to the configured maximum', async () => {
    for (const [cloud, max] of [
      [current, '3.70'],
      [older, '3.44'],
    ] as const) {
      const { status, body } = await doc(`${cloud.urls.cinder}/`);
      expect(status).toBe(300);
      expect(body.versions.map((v: any) => [v.id, v.min_version, v.version])).toEqual([['v3.0', '3.0', max]]);
    }
  });

  it('serves Glance’s /versions (200) and root (300) listing v2.x, each pointing at /v2/', async () => {
    const listed = await doc(`${current.urls.glance}/versions`);
    const root = await doc(`${current.urls.glance}/`);
    expect([listed.status, root.status]).toEqual([200, 300]);
    expect(root.body).toEqual(listed.body);
    const ids = listed.body.versions.map((v: any) => v.id);
    expect(ids).toContain('v2.0');
    for (const v of listed.body.versions) {
      expect(v.id).toMatch(/^v2\.\d+$/);
      expect(v.links).toEqual([{ rel: 'self', href: `${current.urls.glance}/v2/` }]);
    }
    expect(listed.body.versions.filter((v: any) => v.status === 'CURRENT')).toHaveLength(1);
  });

  it('serves Neutron’s root listing v2.0 as CURRENT', async () => {
    const { status, body } = await doc(`${current.urls.neutron}/`);
    expect(status).toBe(200);
    expect(body.versions).toEqual([{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${current.urls.neutron}/v2.0/`, rel: 'self' }] }]);
  });

  it('serves Placement’s root with its range in min_version/max_version and an empty self link', async () => {
    for (const [cloud, max] of [
      [current, '1.39'],
      [older, '1.10'],
    ] as const) {
      const { status, body } = await doc(`${cloud.urls.placement}/`);
      expect(status).toBe(200);
      expect(body.versions).toHaveLength(1);
      expect(body.versions[0]).toMatchObject({ id: 'v1.0', min_version: '1.0', max_version: max });
    }
  });

  it('answers a path no service serves (the every-alias style’s retired block-storage root) with 404, not a document', async () => {
    for (const path of ['/retired/', '/retired/v3/']) expect((await fetch(`${current.urls.cinder}${path}`)).status).toBe(404);
  });
});
