import type Docker from 'dockerode';

/** The image's id, or null when the engine has no such image (reference or id). */
export async function imageId(docker: Docker, ref: string): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

/** The ordered layer digests (RootFS.Layers) of an image. */
export async function imageLayers(docker: Docker, ref: string): Promise<string[]> {
  const info = await docker.getImage(ref).inspect();
  return info.RootFS?.Layers ?? [];
}

/** Points `target` (`repo:tag`) at the image `source`. */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  const i = target.lastIndexOf(':');
  const hasTag = i > target.lastIndexOf('/');
  await docker
    .getImage(source)
    .tag({ repo: hasTag ? target.slice(0, i) : target, tag: hasTag ? target.slice(i + 1) : 'latest' });
}

/**
 * Removes an image reference (untags it; the image itself goes when no tag and no child holds it).
 * Missing images and images in use are ignored; returns true when something was removed.
 */
export async function removeImageQuietly(
  docker: Docker,
  ref: string,
  options: { force?: boolean } = {},
): Promise<boolean> {
  try {
    await docker.getImage(ref).remove({ force: options.force ?? false, noprune: false });
    return true;
  } catch {
    return false;
  }
}

/** Force-removes every container carrying `label` (`key=value`); returns how many. */
export async function removeContainersByLabel(docker: Docker, label: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  return containers.length;
}

/** Removes dangling images carrying `label` (left by failed builds); returns how many. */
export async function removeDanglingImagesByLabel(docker: Docker, label: string): Promise<number> {
  const images = await docker.listImages({ filters: { dangling: ['true'], label: [label] } });
  let removed = 0;
  for (const image of images) if (await removeImageQuietly(docker, image.Id)) removed++;
  return removed;
}

/**
 * Removes the images among `ids` that carry no tag (a failed build's step images), newest first;
 * tagged images and images other images build on are left alone. Returns how many went.
 */
export async function removeUntaggedImages(docker: Docker, ids: readonly string[]): Promise<number> {
  let removed = 0;
  for (const id of [...new Set(ids)].reverse()) {
    try {
      const info = await docker.getImage(id).inspect();
      if ((info.RepoTags ?? []).length > 0) continue;
      await docker.getImage(info.Id).remove({ noprune: false });
      removed++;
    } catch {
      // in use by a child or a container, or already gone
    }
  }
  return removed;
}
