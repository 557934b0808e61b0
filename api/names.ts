// Kubernetes name forms the API and the contracts share (metav1 validation's regexes).
// A leaf module with no imports, so the router and fetch-model load it without the schema.

/** RFC 1123 label: version names, namespaces. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain: object names such as a PersistentVolumeClaim or a Secret. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
