// Version documents and endpoint roots as deployed clouds publish them (datasources/discovery/): the bodies below
// are shaped like the api-ref samples of Nova (GET /), Cinder (GET /, 300), Glance (GET /versions) and Neutron
// (GET /), and the URLs like real catalogs (with and without version suffix, project id or path prefix).
import { describe, expect, it } from 'vitest';
import { locate } from '../../datasources/discovery/api-versions.ts';
import { SPOKEN, negotiateMicroversion, parseVersionDocument } from '../../datasources/discovery/version-document.ts';

const NOVA_ROOT = {
  versions: [
    {
      id: 'v2.0',
      links: [{ href: 'http://openstack.example.com/v2/', rel: 'self' }],
      status: 'SUPPORTED',
      version: '',
      min_version: '',
      updated: '2011-01-21T11:33:21Z',
    },
    {
      id: 'v2.1',
      links: [{ href: 'http://openstack.example.com/v2.1/', rel: 'self' }],
      status: 'CURRENT',
      version: '2.96',
      min_version: '2.1',
      updated: '2013-07-23T11:33:21Z',
    },
  ],
};
const CINDER_ROOT = {
  versions: [
    {
      id: 'v3.0',
      links: [
        { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
        { href: 'http://127.0.0.1:8776/v3/', rel: 'self' },
      ],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      min_version: '3.0',
      status: 'CURRENT',
      updated: '2023-08-31T00:00:00Z',
      version: '3.71',
    },
  ],
};
const GLANCE_VERSIONS = {
  versions: [
    { id: 'v2.16', status: 'CURRENT', links: [{ rel: 'self', href: 'http://glance.openstack.example.org/v2/' }] },
    { id: 'v2.0', status: 'SUPPORTED', links: [{ rel: 'self', href: 'http://glance.openstack.example.org/v2/' }] },
  ],
};
// https://docs.openstack.org/api-ref/placement/#list-versions
const PLACEMENT_ROOT = {
  versions: [{ id: 'v1.0', max_version: '1.39', min_version: '1.0', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }],
};
const NEUTRON_ROOT = { versions: [{ status: 'CURRENT', id: 'v2.0', links: [{ href: 'http://localhost:9696/v2.0/', rel: 'self' }] }] };

describe('version documents', () => {
  it("reads Nova's root: v2.0 without microversions, v2.1 with 2.1–2.96 and its self link", () => {
    expect(parseVersionDocument(NOVA_ROOT)).toEqual([
      { id: 'v2.0', status: 'SUPPORTED', min: null, max: null, self: 'http://openstack.example.com/v2/' },
      { id: 'v2.1', status: 'CURRENT', min: { major: 2, minor: 1 }, max: { major: 2, minor: 96 }, self: 'http://openstack.example.com/v2.1/' },
    ]);
  });

  it("reads Cinder's 300 body, Glance's list and Neutron's list, and a single-version document", () => {
    expect(parseVersionDocument(CINDER_ROOT)[0]).toMatchObject({ id: 'v3.0', max: { major: 3, minor: 71 }, self: 'http://127.0.0.1:8776/v3/' });
    expect(parseVersionDocument(GLANCE_VERSIONS).map((e) => e.id)).toEqual(['v2.16', 'v2.0']);
    expect(parseVersionDocument(NEUTRON_ROOT)).toEqual([
      { id: 'v2.0', status: 'CURRENT', min: null, max: null, self: 'http://localhost:9696/v2.0/' },
    ]);
    expect(parseVersionDocument({ version: NOVA_ROOT.versions[1] })[0].id).toBe('v2.1');
  });

  it("reads Placement's root: the range in max_version/min_version, an empty self link, the API at the root", () => {
    const [entry] = parseVersionDocument(PLACEMENT_ROOT);
    expect(entry).toEqual({ id: 'v1.0', status: 'CURRENT', min: { major: 1, minor: 0 }, max: { major: 1, minor: 39 }, self: '' });
    expect(SPOKEN.placement.ids.test(entry.id)).toBe(true);
    expect(SPOKEN.placement.atRoot).toBe(true);
    expect(negotiateMicroversion(SPOKEN.placement.microversions!, entry)).toEqual({ major: 1, minor: 39 });
    const older = parseVersionDocument({ versions: [{ ...PLACEMENT_ROOT.versions[0], max_version: '1.10' }] })[0];
    expect(negotiateMicroversion(SPOKEN.placement.microversions!, older)).toEqual({ major: 1, minor: 10 });
    expect(locate('https://cloud.example.com/placement')).toEqual({ root: 'https://cloud.example.com/placement', segment: null, tail: null });
  });

  it('treats anything else as no document', () => {
    for (const body of [undefined, '', 'Not Found', { resources: [] }, { versions: [{ status: 'CURRENT' }] }])
      expect(parseVersionDocument(body)).toEqual([]);
  });

  it('negotiates the highest microversion both sides speak, and none when the ranges do not meet', () => {
    const nova = SPOKEN.nova.microversions!;
    const entry = (min: string, max: string) => parseVersionDocument({ version: { id: 'v2.1', version: max, min_version: min } })[0];
    expect(negotiateMicroversion(nova, entry('2.1', '2.96'))).toEqual({ major: 2, minor: 96 });
    expect(negotiateMicroversion(nova, entry('2.1', '2.100'))).toEqual({ major: 2, minor: 96 });
    expect(negotiateMicroversion(nova, entry('2.1', '2.87'))).toEqual({ major: 2, minor: 87 });
    expect(negotiateMicroversion(nova, entry('2.1', '2.46'))).toEqual({ major: 2, minor: 46 });
    expect(negotiateMicroversion(nova, entry('2.97', '2.100'))).toBeNull();
    expect(negotiateMicroversion(SPOKEN.cinder.microversions!, parseVersionDocument(CINDER_ROOT)[0])).toEqual({ major: 3, minor: 70 });
    expect(negotiateMicroversion(nova, parseVersionDocument(NOVA_ROOT)[0])).toBeNull();
  });
});

describe('endpoint roots', () => {
  it('strips the version segment and keeps the project id apart, with or without a path prefix', () => {
    expect(locate('http://cinder:8776/v3/a6944d763bf64ee6a275f1263fae0352')).toEqual({
      root: 'http://cinder:8776',
      segment: 'v3',
      tail: 'a6944d763bf64ee6a275f1263fae0352',
    });
    expect(locate('http://cinder:8776/v2/abc/')).toEqual({ root: 'http://cinder:8776', segment: 'v2', tail: 'abc' });
    expect(locate('https://cloud.example.com/compute/v2.1')).toEqual({ root: 'https://cloud.example.com/compute', segment: 'v2.1', tail: null });
    expect(locate('http://nova:8774/')).toEqual({ root: 'http://nova:8774', segment: null, tail: null });
    expect(locate('https://cloud.example.com/image')).toEqual({ root: 'https://cloud.example.com/image', segment: null, tail: null });
    expect(locate('http://v2.example.com:9696/')).toEqual({ root: 'http://v2.example.com:9696', segment: null, tail: null });
  });
});
