// azd predeploy hook: stop before a deploy that cannot work, with the steps that do.
// azd deploys non-Flex plans with a zip deploy that Linux Consumption does not accept with
// identity-based host storage: it would end in "0 functions loaded". The Consumption variant runs
// its package from a blob instead; this says how, and fails, rather than deploying nothing.
const plan = process.env.HOSTING_PLAN ?? "FlexConsumption";
if (plan === "Consumption") {
  const url = process.env.CONSUMPTION_PACKAGE_URL ?? "<the CONSUMPTION_PACKAGE_URL output>";
  const app = process.env.FUNCTION_APP_NAME ?? "<the FUNCTION_APP_NAME output>";
  const group = process.env.AZURE_RESOURCE_GROUP ?? "<resource group>";
  console.error(`azd deploy cannot deploy to the Consumption plan (HOSTING_PLAN=Consumption): Linux Consumption runs this app's package from a blob.
The resources are provisioned; deploy the package yourself:
  npm run build && (cd dist && zip -qr ../archiver.zip .)
  az storage blob upload --auth-mode login --overwrite --file archiver.zip --blob-url "${url}"
  az functionapp restart -g ${group} -n ${app}
Or use Flex Consumption (azd env set HOSTING_PLAN FlexConsumption), which azd deploys.`);
  process.exit(1);
}
