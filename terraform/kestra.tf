# Optional (enable_kestra): the kots flows of kestra/ (every *.yml / *.yaml, each declaring its id and
# namespace) loaded into Kestra, so a schedule runs `kots consolidate`. New flow files are picked up
# by the next `terraform apply`.
locals {
  kestra_flows_path = "${path.module}/${var.kestra_flows_dir}"
  kestra_flow_files = var.enable_kestra ? fileset(local.kestra_flows_path, "**/*.{yml,yaml}") : toset([])
  kestra_flows = {
    for file in local.kestra_flow_files : file => {
      content = file("${local.kestra_flows_path}/${file}")
      flow    = yamldecode(file("${local.kestra_flows_path}/${file}"))
    }
  }
}

resource "kestra_flow" "kots" {
  for_each  = local.kestra_flows
  namespace = each.value.flow.namespace
  flow_id   = each.value.flow.id
  content   = each.value.content
}
