// Test support of @datasmith/llm: imported by tests and demo tools as `@datasmith/llm/testing`,
// never by production code (its index does not export it, and no step hashes it).
export type { FakeReply, FakeRequest, FakeResponder, FakeOpenAiServerOptions, FakeOpenAiServer } from './fake-server';
export { startFakeOpenAiServer } from './fake-server';
