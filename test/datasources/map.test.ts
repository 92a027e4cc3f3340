// Each upstream's JSON → domain mapping against the published OpenStack sample bodies in
// test/fixtures/openstack-samples/, plus the legacy controller's shapes, timestamp parsing and catalog lookup.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toFlavor, toFlavorRecord, toInstance } from '../../datasources/nova/map.ts';
import { toVolume } from '../../datasources/cinder/map.ts';
import { toImage } from '../../datasources/glance/map.ts';
import { toFloatingIp, toPort } from '../../datasources/neutron/map.ts';
import { callerFromTokenBody, toProject } from '../../datasources/keystone/map.ts';
import { catalogUrls } from '../../datasources/keystone/catalog.ts';
import { parseLegacyTime, toHost, toLegacyDisk, toStoragePool, toZone } from '../../datasources/legacy/map.ts';
import { parseOpenStackTime } from '../../datasources/openstack-time.ts';
import { MosaicError } from '../../core/errors.ts';
import type { Caller, CatalogEntry } from '../../core/caller.ts';
import { legacyTime } from '../../subgraphs/legacy/serialize.ts';

/** A fresh parse of a sample body (tests may modify their copy). */
const sample = (path: string): any => JSON.parse(readFileSync(new URL(`../fixtures/openstack-samples/${path}`, import.meta.url), 'utf8'));

/** Catches what `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('nova map', () => {
  const server = () => sample('nova/servers-details-resp.v2.47.json').servers[0];

  it('maps the 2.47 sample server, with its embedded flavor (id null, name from original_name)', () => {
    expect(toInstance(server())).toEqual({
      id: '764e369e-a874-4401-b7ce-43e4760888da',
      partial: false,
      name: 'new-server-test',
      status: 'ACTIVE',
      projectId: '6f70656e737461636b20342065766572',
      userId: 'admin',
      zoneName: 'us-west',
      hostname: 'compute',
      flavor: { id: null, name: 'm1.tiny.specs', vcpus: 1, ramMb: 512, diskGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: { 'hw:numa_nodes': '1' } },
      imageId: '70a599e0-31e7-49b7-b260-868f441e862b',
      volumeIds: ['volume_id1', 'volume_id2'],
      attachedVolumes: [
        { id: 'volume_id1', deleteOnTermination: false },
        { id: 'volume_id2', deleteOnTermination: false },
      ],
      floatingAddresses: [],
      addresses: [{ network: 'private', address: '192.168.1.30', version: 4, type: 'FIXED', macAddress: '00:0c:29:0d:11:74' }],
      keyName: null,
      metadata: { 'My Server Name': 'Apache1' },
      powerState: 1,
      taskState: null,
      vmState: 'active',
      locked: false,
      lockedReason: null,
      hostStatus: 'UP',
      description: null,
      tags: [],
      securityGroups: ['default'],
      configDrive: false,
      fault: null,
      createdAt: new Date('2017-02-14T19:24:42.000Z'),
      updatedAt: new Date('2017-02-14T19:24:43.000Z'),
      launchedAt: new Date('2017-02-14T19:24:43.891Z'),
      terminatedAt: null,
    });
  });

  it('maps a down-cell minimal record (2.69+) to a partial instance with nulls, never defaults', () => {
    const minimal = {
      id: 'bcc6c6dd-3d0a-4633-9586-60878fd68edb',
      status: 'UNKNOWN',
      tenant_id: '6f70656e737461636b20342065766572',
      created: '2018-12-03T21:06:18Z',
      links: [],
    };
    expect(toInstance(minimal)).toMatchObject({
      partial: true,
      name: null,
      status: 'UNKNOWN',
      userId: null,
      zoneName: null,
      flavor: null,
      imageId: null,
      volumeIds: [],
      attachedVolumes: null,
      addresses: null,
      metadata: null,
      powerState: null,
      tags: null,
      securityGroups: null,
      createdAt: new Date('2018-12-03T21:06:18Z'),
    });
    const shown = toInstance({ ...minimal, user_id: 'u1', 'OS-EXT-AZ:availability_zone': 'nova', 'OS-EXT-STS:power_state': 0, image: { id: 'i1' } });
    expect(shown).toMatchObject({ partial: true, userId: 'u1', zoneName: 'nova', powerState: 0, imageId: 'i1' });
  });

  it('maps fault, tags, config drive and a floating address of a full record', () => {
    const s = {
      ...server(),
      status: 'ERROR',
      tags: ['a'],
      config_drive: 'True',
      locked_reason: 'maintenance',
      fault: { code: 500, created: '2017-02-14T19:25:00Z', message: 'No valid host was found. ' },
    };
    s.addresses.private.push({ 'OS-EXT-IPS-MAC:mac_addr': '00:0c:29:0d:11:74', 'OS-EXT-IPS:type': 'floating', addr: '172.24.4.228', version: 4 });
    expect(toInstance(s)).toMatchObject({
      tags: ['a'],
      configDrive: true,
      lockedReason: 'maintenance',
      fault: { code: 500, message: 'No valid host was found. ', createdAt: new Date('2017-02-14T19:25:00Z') },
      floatingAddresses: ['172.24.4.228'],
    });
    expect(toInstance(s).addresses!.map((a) => a.type)).toEqual(['FIXED', 'FLOATING']);
  });

  it('reads dates without a zone as UTC', () => {
    const instance = toInstance(server());
    expect(instance.createdAt).toBeInstanceOf(Date);
    expect(instance.launchedAt!.toISOString()).toBe('2017-02-14T19:24:43.891Z'); // sample: "2017-02-14T19:24:43.891568"
  });

  it('gives a server booted from a volume (image "") a null image id', () => {
    expect(toInstance({ ...server(), image: '' }).imageId).toBeNull();
    expect(toInstance({ ...server(), image: { id: '', links: [] } }).imageId).toBeNull();
  });

  it('takes only the addresses typed floating, across every network', () => {
    const s = server();
    s.addresses = {
      private: [
        ...s.addresses.private,
        { 'OS-EXT-IPS-MAC:mac_addr': '00:0c:29:0d:11:74', 'OS-EXT-IPS:type': 'floating', addr: '172.24.4.228', version: 4 },
      ],
      public: [
        { 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01', 'OS-EXT-IPS:type': 'fixed', addr: '203.0.113.5', version: 4 },
        { 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01', 'OS-EXT-IPS:type': 'floating', addr: '2001:db8::10', version: 6 },
      ],
    };
    expect(toInstance(s).floatingAddresses).toEqual(['172.24.4.228', '2001:db8::10']);
  });

  it('maps a server without zone, host, volumes or addresses (non-admin view) to nulls and empties', () => {
    const s = server();
    s['OS-EXT-AZ:availability_zone'] = '';
    delete s['OS-EXT-SRV-ATTR:host'];
    delete s['os-extended-volumes:volumes_attached'];
    delete s.addresses;
    delete s['OS-SRV-USG:launched_at'];
    s.updated = null;
    const instance = toInstance(s);
    expect(instance.zoneName).toBeNull();
    expect(instance.hostname).toBeNull();
    expect(instance.volumeIds).toEqual([]);
    expect(instance.floatingAddresses).toEqual([]);
    expect(instance.launchedAt).toBeNull();
    expect(instance.updatedAt).toBeNull();
  });

  it('maps a pre-2.47 flavor reference {id, links} to just its id', () => {
    const ref = { id: '1', links: [{ href: 'http://openstack.example.com/6f70656e737461636b20342065766572/flavors/1', rel: 'bookmark' }] };
    expect(toFlavor(ref)).toEqual({ id: '1' });
    expect(toFlavor({ id: 42 })).toEqual({ id: '42' });
    expect(toInstance({ ...server(), flavor: ref }).flavor).toEqual({ id: '1' });
  });

  it('maps the flavors list sample to records (swap "" → 0, ephemeral from OS-FLV-EXT-DATA)', () => {
    const flavors = sample('nova/flavors-detail-resp.json').flavors.map(toFlavorRecord);
    expect(flavors[0]).toEqual({ id: '1', name: 'm1.tiny', vcpus: 1, ramMb: 512, diskGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} });
    expect(flavors.map((f: { id: string; name: string }) => `${f.id}:${f.name}`)).toEqual([
      '1:m1.tiny',
      '2:m1.small',
      '3:m1.medium',
      '4:m1.large',
      '5:m1.xlarge',
      '6:m1.tiny.specs',
    ]);
    expect(flavors[4]).toMatchObject({ vcpus: 8, ramMb: 16384, diskGb: 160 });
  });

  it('keeps a numeric swap and ephemeral size of a flavor record', () => {
    const f = {
      ...sample('nova/flavors-detail-resp.json').flavors[1],
      swap: 1024,
      'OS-FLV-EXT-DATA:ephemeral': 10,
      extra_specs: { 'hw:cpu_policy': 'dedicated' },
    };
    expect(toFlavorRecord(f)).toEqual({
      id: '2',
      name: 'm1.small',
      vcpus: 1,
      ramMb: 2048,
      diskGb: 20,
      ephemeralGb: 10,
      swapMb: 1024,
      extraSpecs: { 'hw:cpu_policy': 'dedicated' },
    });
  });
});

describe('cinder map', () => {
  const volume = () => sample('cinder/volumes-list-detailed-response.v3.69.json').volumes[0];

  it('maps the v3.69 list sample volume', () => {
    expect(toVolume(volume())).toEqual({
      disk: {
        backend: 'CINDER',
        id: 'cb49b381-9012-40cb-b8ee-80c19a4801b5',
        name: null,
        sizeGb: 10,
        status: 'creating',
        volumeType: '__DEFAULT__',
        bootable: false,
        encrypted: false,
        multiattach: false,
        attachments: [],
        device: null,
        instanceId: null,
        projectId: '89afd400-b646-4bbc-b12b-c0a4d63e5bd3',
        zoneName: 'nova',
        createdAt: new Date('2018-11-28T06:25:15.288Z'),
      },
      attachedTo: [],
    });
  });

  it('reads bootable "true" / "false" strings as booleans', () => {
    expect(toVolume({ ...volume(), bootable: 'true' }).disk.bootable).toBe(true);
    expect(toVolume({ ...volume(), bootable: 'false' }).disk.bootable).toBe(false);
    expect(toVolume({ ...volume(), bootable: true }).disk.bootable).toBe(true);
  });

  it('lists every attachment in attachedTo and takes device and instance from the first', () => {
    const v = {
      ...volume(),
      status: 'in-use',
      multiattach: true,
      attachments: [
        {
          server_id: 'f4fda93b-06e0-4743-8117-bc8bcecd651b',
          attachment_id: 'a1',
          volume_id: 'cb49b381-9012-40cb-b8ee-80c19a4801b5',
          device: '/dev/vdb',
          host_name: null,
          id: 'cb49b381-9012-40cb-b8ee-80c19a4801b5',
        },
        {
          server_id: '9ae135f4-b6e0-4dad-9e91-3c223e385824',
          attachment_id: 'a2',
          volume_id: 'cb49b381-9012-40cb-b8ee-80c19a4801b5',
          host_name: null,
          id: 'cb49b381-9012-40cb-b8ee-80c19a4801b5',
        },
      ],
    };
    const { disk, attachedTo } = toVolume(v);
    expect(attachedTo).toEqual([
      { serverId: 'f4fda93b-06e0-4743-8117-bc8bcecd651b', device: '/dev/vdb' },
      { serverId: '9ae135f4-b6e0-4dad-9e91-3c223e385824', device: null },
    ]);
    expect(disk.device).toBe('/dev/vdb');
    expect(disk.instanceId).toBe('f4fda93b-06e0-4743-8117-bc8bcecd651b');
    expect(disk.multiattach).toBe(true);
    expect(disk.attachments).toEqual([
      { instanceId: 'f4fda93b-06e0-4743-8117-bc8bcecd651b', device: '/dev/vdb', hostName: null, attachedAt: null },
      { instanceId: '9ae135f4-b6e0-4dad-9e91-3c223e385824', device: null, hostName: null, attachedAt: null },
    ]);
  });

  it('has no project id without the admin-only tenant attribute (the create response sample)', () => {
    const created = sample('cinder/volume-create-response.v3.69.json').volume;
    const { disk } = toVolume(created);
    expect(disk.projectId).toBeNull();
    expect(disk.id).toBe('2b955850-f177-45f7-9f49-ecb2c256d161');
    expect(disk.createdAt).toEqual(new Date('2018-11-28T06:21:12.715Z'));
  });
});

describe('glance map', () => {
  it('maps the image-show sample', () => {
    expect(toImage(sample('glance/image-show-response.json'))).toEqual({
      id: '1bea47ed-f6a9-463b-b423-14b9cca9ad27',
      name: 'cirros-0.3.2-x86_64-disk',
      status: 'active',
      visibility: 'public',
      hidden: false,
      ownerId: '5ef70662f8b34079a6eddb8da9d75fe8',
      sizeBytes: 13167616,
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      minDiskGb: 0,
      minRamMb: 0,
      tags: [],
      createdAt: new Date('2014-05-05T17:15:10Z'),
      updatedAt: new Date('2014-05-05T17:15:11Z'),
    });
  });

  it('maps every image of the list sample', () => {
    const images = sample('glance/images-list-response.json').images.map(toImage);
    expect(images.map((i: { id: string; name: string; sizeBytes: number }) => [i.id, i.name, i.sizeBytes])).toEqual([
      ['1bea47ed-f6a9-463b-b423-14b9cca9ad27', 'cirros-0.3.2-x86_64-disk', 13167616],
      ['781b3762-9469-4cec-b58d-3349e5de4e9c', 'F17-x86_64-cfntools', 476704768],
    ]);
    expect(images[1].updatedAt).toEqual(new Date('2014-11-03T16:40:10Z'));
  });

  it('gives an image without a name a null name (not "", which would read as a name)', () => {
    const { name: _drop, ...unnamed } = sample('glance/image-show-response.json');
    expect(toImage(unnamed).name).toBeNull();
    expect(toImage({ ...unnamed, name: null }).name).toBeNull();
  });

  it('maps a queued image without size, formats or owner to nulls and defaults', () => {
    const queued = {
      id: 'b2173dd3-7ad6-4362-baa6-a68bce3565cb',
      status: 'queued',
      visibility: 'private',
      os_hidden: true,
      tags: ['a'],
      created_at: '2016-06-29T16:13:07Z',
      updated_at: '2016-06-29T16:13:07Z',
      name: 'empty',
    };
    expect(toImage(queued)).toMatchObject({
      hidden: true,
      ownerId: '',
      sizeBytes: null,
      diskFormat: null,
      containerFormat: null,
      minDiskGb: 0,
      minRamMb: 0,
      tags: ['a'],
    });
  });
});

describe('neutron map', () => {
  it('maps the ports list sample, keeping an empty project id as empty', () => {
    const ports = sample('neutron/ports-list-response.json').ports.map(toPort);
    expect(ports[0]).toEqual({
      id: 'd80b1a3b-4fc1-49f3-952e-1e2ab7081d8b',
      name: '',
      networkId: '70c1db1f-b701-45bd-96e0-a313ee3430b3',
      projectId: '',
      deviceId: '9ae135f4-b6e0-4dad-9e91-3c223e385824',
      deviceOwner: 'network:router_gateway',
      macAddress: 'fa:16:3e:58:42:ed',
      fixedIps: [{ ipAddress: '172.24.4.2', subnetId: '008ba151-0b8c-4a67-98b5-0d2b87666062' }],
      status: 'ACTIVE',
      createdAt: new Date('2016-03-08T20:19:41Z'),
      securityGroupIds: [],
    });
    expect(ports[1]).toMatchObject({
      id: 'f71a6703-d6de-4be1-a91a-a570ede1d159',
      projectId: 'd397de8a63f341818f198abb0966f6f3',
      deviceOwner: 'network:router_interface',
      fixedIps: [{ ipAddress: '10.0.0.1', subnetId: '288bf4a1-51ba-43b6-9d0a-520e9005db17' }],
    });
  });

  it('falls back to tenant_id for the project and to "" for a port without a device', () => {
    const { project_id: _p, device_id: _d, device_owner: _o, fixed_ips: _f, ...old } = sample('neutron/ports-list-response.json').ports[1];
    expect(toPort(old)).toMatchObject({ projectId: 'd397de8a63f341818f198abb0966f6f3', deviceId: '', deviceOwner: '', fixedIps: [] });
  });

  it('maps floating IPs: port_details gives the device, null port_details gives null, no key gives undefined', () => {
    const [bound, unbound, portless] = sample('neutron/floating-ips-list-response.json').floatingips.map(toFloatingIp);
    expect(bound).toEqual({
      id: '2f245a7b-796b-4f26-9cf9-9e82d248fda7',
      address: '172.24.4.228',
      fixedIpAddress: '10.0.0.3',
      portId: 'ce705c24-c1ef-408a-bda3-7bbd946164ab',
      deviceId: '8e3941b4-a6e9-499f-a1ac-2a4662025cba',
      projectId: '4969c491a3c74ee4af974e6d800c62de',
      status: 'ACTIVE',
      floatingNetworkId: '376da547-b977-4cfe-9cba-275c80debf57',
      createdAt: new Date('2016-12-21T10:55:50Z'),
    });
    expect(unbound).toMatchObject({ id: '61cea855-49cb-4846-997d-801b70c71bdd', fixedIpAddress: null, portId: null, deviceId: null, status: 'DOWN' });
    expect(portless.id).toBe('898b198e-49f7-47d6-a7e1-53f626a548e6');
    expect('deviceId' in portless).toBe(true);
    expect(portless.deviceId).toBeUndefined();
  });

  it('gives null for port_details without a device id', () => {
    const fip = { ...sample('neutron/floating-ips-list-response.json').floatingips[0], port_details: { status: 'DOWN' } };
    expect(toFloatingIp(fip).deviceId).toBeNull();
  });
});

describe('keystone map', () => {
  const body = () => sample('keystone/auth-password-project-scoped-response.json');

  it('builds the caller from the project-scoped token sample', () => {
    const caller = callerFromTokenBody('gAAAA-token', body());
    expect(caller).toMatchObject({
      token: 'gAAAA-token',
      userId: 'ee4dfb6e5540447cb3741905149d9b6e',
      userName: 'admin',
      projectId: 'a6944d763bf64ee6a275f1263fae0352',
      projectName: 'admin',
      roles: ['admin'],
      isAdmin: true,
    });
    expect(caller.expiresAt).toEqual(new Date('2015-11-07T02:58:43.578Z'));
    expect(caller.catalog).toHaveLength(13);
    expect(caller.catalog.map((c) => c.type)).toContain('compute');
  });

  it('is not admin without the admin role', () => {
    const b = body();
    b.token.roles = [
      { id: 'r1', name: 'member' },
      { id: 'r2', name: 'reader' },
    ];
    const caller = callerFromTokenBody('t', b);
    expect(caller.roles).toEqual(['member', 'reader']);
    expect(caller.isAdmin).toBe(false);
  });

  it('gives an unscoped token empty project, roles and catalog', () => {
    const b = body();
    delete b.token.project;
    delete b.token.roles;
    delete b.token.catalog;
    expect(callerFromTokenBody('t', b)).toMatchObject({ projectId: '', projectName: '', roles: [], isAdmin: false, catalog: [] });
  });

  it('throws MOSAIC_ERR_UPSTREAM_GARBLED for a body without a token, user or expiry', () => {
    for (const bad of [{}, null, { error: { code: 401 } }, { token: { expires_at: '2030-01-01T00:00:00Z' } }, { token: { user: { id: 'u' } } }]) {
      const err = thrown(() => callerFromTokenBody('t', bad));
      expect(err).toBeInstanceOf(MosaicError);
      expect((err as MosaicError).errorName).toBe('MOSAIC_ERR_UPSTREAM_GARBLED');
      expect((err as MosaicError).extensions).toEqual({ code: 'UPSTREAM_ERROR', mosaicCode: 'MOSAIC_ERR_UPSTREAM_GARBLED', service: 'keystone' });
    }
  });

  it('maps a project with defaults for missing description and domain', () => {
    expect(toProject({ id: 'p1', name: 'web', enabled: false })).toEqual({
      id: 'p1',
      name: 'web',
      description: '',
      domainId: 'default',
      enabled: false,
    });
    expect(toProject({ id: 'p2', name: 'db', description: 'the db', domain_id: 'd1' })).toEqual({
      id: 'p2',
      name: 'db',
      description: 'the db',
      domainId: 'd1',
      enabled: true,
    });
  });
});

describe('legacy map', () => {
  it('reads legacy wall time as UTC+8', () => {
    expect(parseLegacyTime('2015-11-07 10:58:43')).toEqual(new Date('2015-11-07T02:58:43.000Z'));
    expect(parseLegacyTime('2015-11-07 02:00:00')!.toISOString()).toBe('2015-11-06T18:00:00.000Z');
  });

  it('reads back what the emulated region controller writes', () => {
    const instant = new Date('2025-05-06T08:00:00.000Z');
    expect(legacyTime(instant)).toBe('2025-05-06 16:00:00');
    expect(parseLegacyTime(legacyTime(instant))).toEqual(instant);
  });

  it('gives null for a missing or malformed legacy time', () => {
    expect(parseLegacyTime('not a time')).toBeNull();
    expect(parseLegacyTime('2015-13-07 10:58:43')).toBeNull();
    expect(parseLegacyTime('')).toBeNull();
    expect(parseLegacyTime(null)).toBeNull();
    expect(parseLegacyTime(undefined)).toBeNull();
  });

  const hostJson = {
    id: 7,
    zone_id: 2,
    hostname: 'cn-bj-a-07',
    ip: '10.2.0.7',
    rack: 'r3',
    status: 1,
    cpu_cores: 64,
    memory_mb: 262144,
    disk_gb: 3840,
    created_at: '2015-11-07 10:58:43',
  };

  it('maps a host, with status 0/1/2 as OFFLINE/ONLINE/MAINTENANCE', () => {
    expect(toHost(hostJson)).toEqual({
      id: 7,
      zoneId: 2,
      hostname: 'cn-bj-a-07',
      ip: '10.2.0.7',
      rack: 'r3',
      status: 'ONLINE',
      capacity: { vcpus: 64, memoryMb: 262144, diskGb: 3840 },
      createdAt: new Date('2015-11-07T02:58:43.000Z'),
    });
    expect(toHost({ ...hostJson, status: 0 }).status).toBe('OFFLINE');
    expect(toHost({ ...hostJson, status: 2 }).status).toBe('MAINTENANCE');
  });

  it('reads an unknown host status as OFFLINE', () => {
    expect(toHost({ ...hostJson, status: 3 }).status).toBe('OFFLINE');
    expect(toHost({ ...hostJson, status: undefined }).status).toBe('OFFLINE');
    expect(toHost({ ...hostJson, rack: undefined }).rack).toBe('');
  });

  const diskJson = {
    id: 1201,
    storage_id: 4,
    instance_uuid: '764e369e-a874-4401-b7ce-43e4760888da',
    name: 'data-1',
    size_gb: 100,
    disk_type: 'ssd',
    device: '/dev/vdc',
    attached: 1,
    created_at: '2015-11-07 10:58:43',
  };

  it('maps an attached legacy disk to in-use with a string id', () => {
    expect(toLegacyDisk(diskJson, 'cn-bj-a')).toEqual({
      backend: 'LEGACY',
      id: '1201',
      name: 'data-1',
      sizeGb: 100,
      status: 'in-use',
      volumeType: 'ssd',
      bootable: false,
      device: '/dev/vdc',
      instanceId: '764e369e-a874-4401-b7ce-43e4760888da',
      projectId: null,
      zoneName: 'cn-bj-a',
      createdAt: new Date('2015-11-07T02:58:43.000Z'),
    });
  });

  it('maps a detached legacy disk to available, with no zone unless given', () => {
    const disk = toLegacyDisk({ ...diskJson, attached: 0, instance_uuid: null, device: null });
    expect(disk).toMatchObject({ status: 'available', instanceId: null, device: null, zoneName: null });
  });

  it('maps a storage pool and a zone', () => {
    expect(toStoragePool({ id: 4, zone_id: 2, name: 'ceph-a', type: 'ceph', capacity_gb: 100000, used_gb: 4321, disk_count: 12 })).toEqual({
      id: 4,
      zoneId: 2,
      usedGb: 4321,
    });
    expect(toStoragePool({ id: 5, zone_id: 3 })).toEqual({ id: 5, zoneId: 3, usedGb: 0 });
    expect(toZone({ id: 2, name: 'cn-bj-a', region: 'cn-bj', description: 'Beijing A', host_count: 40, created_at: '2015-11-07 10:58:43' })).toEqual({
      id: 2,
      name: 'cn-bj-a',
      region: 'cn-bj',
      description: 'Beijing A',
      hostCount: 40,
      createdAt: new Date('2015-11-07T02:58:43.000Z'),
    });
  });
});

describe('parseOpenStackTime', () => {
  it('reads a time without a zone as UTC, keeping milliseconds of a microsecond value', () => {
    expect(parseOpenStackTime('2018-11-28T06:25:15.288987')!.toISOString()).toBe('2018-11-28T06:25:15.288Z');
    expect(parseOpenStackTime('2016-03-08T20:19:41')!.toISOString()).toBe('2016-03-08T20:19:41.000Z');
  });

  it('honours a zone when there is one', () => {
    expect(parseOpenStackTime('2017-02-14T19:24:42Z')!.toISOString()).toBe('2017-02-14T19:24:42.000Z');
    expect(parseOpenStackTime('2018-11-28T06:25:15.288987+00:00')!.toISOString()).toBe('2018-11-28T06:25:15.288Z');
    expect(parseOpenStackTime('2018-11-28T06:25:15-05:00')!.toISOString()).toBe('2018-11-28T11:25:15.000Z');
    expect(parseOpenStackTime('2018-11-28T06:25:15+0800')!.toISOString()).toBe('2018-11-27T22:25:15.000Z');
  });

  it('gives null for a missing or malformed time', () => {
    expect(parseOpenStackTime(null)).toBeNull();
    expect(parseOpenStackTime(undefined)).toBeNull();
    expect(parseOpenStackTime('')).toBeNull();
    expect(parseOpenStackTime('garbage')).toBeNull();
  });
});

describe('catalogUrls', () => {
  /** The first candidate: what discovery tries first. */
  const endpointFor = (...args: Parameters<typeof catalogUrls>) => catalogUrls(...args)[0];
  const callerWith = (catalog: CatalogEntry[]): Caller => ({
    token: 't',
    userId: 'u',
    userName: 'u',
    projectId: 'p',
    projectName: 'p',
    roles: ['member'],
    isAdmin: false,
    expiresAt: new Date('2030-01-01T00:00:00Z'),
    catalog,
  });
  const entry = (type: string, url: string, region = 'RegionOne', iface = 'public'): CatalogEntry => ({
    type,
    endpoints: [{ interface: iface, region, region_id: region, url }],
  });
  const sampleCaller = () => callerFromTokenBody('t', sample('keystone/auth-password-project-scoped-response.json'));

  it('finds nova, glance and neutron in the sample catalog, trimming a trailing slash', () => {
    const caller = sampleCaller();
    expect(endpointFor(caller, 'nova', 'RegionOne', 'public')).toBe('http://23.253.248.171:8774/v2.1/a6944d763bf64ee6a275f1263fae0352');
    expect(endpointFor(caller, 'glance', 'RegionOne', 'internal')).toBe('http://23.253.248.171:9292');
    expect(endpointFor(caller, 'neutron', 'RegionOne', 'admin')).toBe('http://23.253.248.171:9696');
  });

  it('prefers block-storage, then volumev3, then volume for cinder', () => {
    const blockStorage = entry('block-storage', 'http://cinder/v3/bs');
    const volumev3 = entry('volumev3', 'http://cinder/v3/v3');
    const volume = entry('volume', 'http://cinder/v1/');
    expect(endpointFor(callerWith([volume, volumev3, blockStorage]), 'cinder', 'RegionOne', 'public')).toBe('http://cinder/v3/bs');
    expect(endpointFor(callerWith([volume, volumev3]), 'cinder', 'RegionOne', 'public')).toBe('http://cinder/v3/v3');
    expect(endpointFor(callerWith([volume]), 'cinder', 'RegionOne', 'public')).toBe('http://cinder/v1');
    // Every candidate, in the official alias order, for discovery to try in turn (volumev2 between v3 and volume).
    const volumev2 = entry('volumev2', 'http://cinder/v2/');
    expect(catalogUrls(callerWith([volume, volumev2, volumev3, blockStorage]), 'cinder', 'RegionOne', 'public')).toEqual([
      'http://cinder/v3/bs',
      'http://cinder/v3/v3',
      'http://cinder/v2',
      'http://cinder/v1',
    ]);
  });

  it('falls through to the next cinder type when a preferred one has no endpoint for the region', () => {
    const caller = callerWith([entry('block-storage', 'http://cinder-other/v3', 'RegionTwo'), entry('volumev3', 'http://cinder-one/v3')]);
    expect(endpointFor(caller, 'cinder', 'RegionOne', 'public')).toBe('http://cinder-one/v3');
    expect(endpointFor(caller, 'cinder', 'RegionTwo', 'public')).toBe('http://cinder-other/v3');
  });

  it('honours region (by name or region_id) and interface', () => {
    const caller = callerWith([
      {
        type: 'compute',
        endpoints: [
          { interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: 'https://nova-one.example.com/v2.1//' },
          { interface: 'internal', region: 'RegionOne', region_id: 'RegionOne', url: 'http://nova-one.internal:8774/v2.1' },
          { interface: 'public', region: 'Beijing', region_id: 'cn-bj', url: 'https://nova-bj.example.com/v2.1' },
        ],
      },
    ]);
    expect(endpointFor(caller, 'nova', 'RegionOne', 'public')).toBe('https://nova-one.example.com/v2.1');
    expect(endpointFor(caller, 'nova', 'RegionOne', 'internal')).toBe('http://nova-one.internal:8774/v2.1');
    expect(endpointFor(caller, 'nova', 'cn-bj', 'public')).toBe('https://nova-bj.example.com/v2.1');
    expect(endpointFor(caller, 'nova', 'Beijing', 'public')).toBe('https://nova-bj.example.com/v2.1');
  });

  it('throws MOSAIC_ERR_NO_ENDPOINT for a missing service, region or interface', () => {
    const caller = callerWith([entry('compute', 'http://nova/v2.1')]);
    const cases: [Parameters<typeof endpointFor>[1], string, 'public' | 'internal' | 'admin'][] = [
      ['glance', 'RegionOne', 'public'],
      ['nova', 'RegionTwo', 'public'],
      ['nova', 'RegionOne', 'admin'],
    ];
    for (const [service, region, iface] of cases) {
      const err = thrown(() => endpointFor(caller, service, region, iface));
      expect(err).toBeInstanceOf(MosaicError);
      expect((err as MosaicError).errorName).toBe('MOSAIC_ERR_NO_ENDPOINT');
      expect((err as MosaicError).message).toBe(`no ${service} endpoint in the catalog for region ${region} (${iface})`);
      expect((err as MosaicError).extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service });
    }
  });
});
