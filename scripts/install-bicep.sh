#!/usr/bin/env bash
# Installs the Bicep CLI for the infra checks in `npm test`, from the NuGet package
# Azure.Bicep.CommandLine.linux-x64 (the GitHub release download is not reachable in CI).
# The binary lands in .local/tools/bicep; test/infra/infra.test.ts looks there first, then on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${BICEP_VERSION:-0.49.2}"
target=".local/tools/bicep"
if [ -x "$target" ] && "$target" --version 2>/dev/null | grep -q "$version"; then
  echo "bicep $version already in $target"
  exit 0
fi
if ! command -v dotnet >/dev/null; then
  echo "install-bicep: dotnet is not on PATH; the Bicep checks in npm test will be skipped (or fail with CI=true)" >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A throwaway project whose only job is to make `dotnet restore` download the package.
cat >"$work/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$version]" /></ItemGroup>
</Project>
XML
dotnet restore "$work/restore.csproj" --packages "$work/packages" --nologo -v quiet
mkdir -p "$(dirname "$target")"
cp "$work/packages/azure.bicep.commandline.linux-x64/$version/tools/bicep" "$target"
chmod +x "$target"
"$target" --version
