// The service catalogs the emulated Keystone can hand out, shaped like deployed ones (issue #10): services register
// under historical types and URLs may or may not carry a version suffix or the project id
// (os-service-types: https://service-types.openstack.org/service-types.json). A client must choose the API from
// the service's version document, never from the URL, and these make the tests prove it:
//   default        compute …/v2.1, block-storage and volumev3 …/v3/%(project_id)s, image and network at their roots
//   volumev2       Cinder only as `volumev2` at …/v2/%(project_id)s, while its root offers only v3 (a cloud that
//                  upgraded Cinder and kept its old catalog entry)
//   unversioned    every endpoint at its root: …:8774/, …:8776/, …:9292/, …:9696/
//   no-project-id  Cinder at …/v3 without the project (accepted from 3.67; before, clients add it themselves)
//   volume-only    Cinder only under the oldest alias, `volume`, at a v1 URL …/v1/%(project_id)s while its root offers
//                  only v3; Glance at …/v2 and Neutron at …/v2.0 (version suffixes some installers add)
//   every-alias    Cinder under all four aliases at once: `block-storage` at a retired path whose root serves no
//                  version document (…/retired/v3/%(project_id)s), then volumev3 …/v3, volumev2 …/v2, volume …/v1
//                  (all %(project_id)s); Glance at …/v2/ and Neutron at …/v2.0/ with trailing slashes
// Placement (`placement`) is in every style at its root, as deployments register it (`http://cloud/placement` or
// `…:8778`): its API has no version segment, and its version document's self link is empty.
// `%(project_id)s` is substituted by the token's project (token-body.ts catalogFor).

export type CatalogStyle = 'default' | 'volumev2' | 'unversioned' | 'no-project-id' | 'volume-only' | 'every-alias';
export const CATALOG_STYLES: CatalogStyle[] = ['default', 'volumev2', 'unversioned', 'no-project-id', 'volume-only', 'every-alias'];

type Urls = Record<'keystone' | 'nova' | 'cinder' | 'glance' | 'neutron' | 'placement', string>;

/** [service type, service name, URL] rows of the catalog, one per service registration. */
export function catalogEndpoints(urls: Urls, style: CatalogStyle = 'default'): [string, string, string][] {
  const identity: [string, string, string] = ['identity', 'keystone', `${urls.keystone}/v3`];
  switch (style) {
    case 'volumev2':
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/v2.1`],
        ['volumev2', 'cinderv2', `${urls.cinder}/v2/%(project_id)s`],
        ['image', 'glance', urls.glance],
        ['network', 'neutron', `${urls.neutron}/`],
        ['placement', 'placement', urls.placement],
      ];
    case 'unversioned':
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/`],
        ['block-storage', 'cinder', `${urls.cinder}/`],
        ['image', 'glance', `${urls.glance}/`],
        ['network', 'neutron', urls.neutron],
        ['placement', 'placement', `${urls.placement}/`],
      ];
    case 'volume-only':
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/v2.1`],
        ['volume', 'cinder', `${urls.cinder}/v1/%(project_id)s`],
        ['image', 'glance', `${urls.glance}/v2`],
        ['network', 'neutron', `${urls.neutron}/v2.0`],
        ['placement', 'placement', urls.placement],
      ];
    case 'every-alias':
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/v2.1/`],
        ['volume', 'cinder', `${urls.cinder}/v1/%(project_id)s`],
        ['volumev2', 'cinderv2', `${urls.cinder}/v2/%(project_id)s`],
        ['volumev3', 'cinderv3', `${urls.cinder}/v3/%(project_id)s`],
        ['block-storage', 'cinder', `${urls.cinder}/retired/v3/%(project_id)s`],
        ['image', 'glance', `${urls.glance}/v2/`],
        ['network', 'neutron', `${urls.neutron}/v2.0/`],
        ['placement', 'placement', urls.placement],
      ];
    case 'no-project-id':
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/v2.1`],
        ['volumev3', 'cinderv3', `${urls.cinder}/v3`],
        ['block-storage', 'cinder', `${urls.cinder}/v3`],
        ['image', 'glance', urls.glance],
        ['network', 'neutron', `${urls.neutron}/`],
        ['placement', 'placement', urls.placement],
      ];
    default:
      return [
        identity,
        ['compute', 'nova', `${urls.nova}/v2.1`],
        ['volumev3', 'cinderv3', `${urls.cinder}/v3/%(project_id)s`],
        ['block-storage', 'cinder', `${urls.cinder}/v3/%(project_id)s`],
        ['image', 'glance', urls.glance],
        ['network', 'neutron', `${urls.neutron}/`],
        ['placement', 'placement', urls.placement],
      ];
  }
}
