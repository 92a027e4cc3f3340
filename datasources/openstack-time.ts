// OpenStack timestamps come with and without a zone ("2018-11-28T06:25:15.288987", "…Z", "…+00:00"); all are UTC
// (https://docs.openstack.org/api-guide/compute/general_info.html — "all times are UTC").

export function parseOpenStackTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}
