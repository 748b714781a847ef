// Test support of @datasmith/registry: imported by tests and demo tools as `@datasmith/registry/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type { ProxiedRequest, RegistryFault, RegistryProxyOptions, RegistryProxy } from './registry-proxy';
export { startRegistryProxy } from './registry-proxy';
export type { LocalRegistry, DockerAvailability } from './local-registry';
export {
  START_REGISTRY_SCRIPT,
  freePort,
  startLocalRegistry,
  dockerTestAvailability,
  importTinyImage,
  removeImages,
} from './local-registry';
