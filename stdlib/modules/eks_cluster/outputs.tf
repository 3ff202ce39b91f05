output "name" {
  description = "The cluster's name."
  value       = aws_eks_cluster.this.name
}

output "arn" {
  description = "The cluster's ARN."
  value       = aws_eks_cluster.this.arn
}

output "endpoint" {
  description = "The API server's URL."
  value       = aws_eks_cluster.this.endpoint
}

output "certificate_authority_data" {
  description = "The cluster's certificate authority, base64-encoded."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "oidc_provider_arn" {
  description = "The OIDC provider's ARN, for the trust policy of IAM roles for service accounts."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_url" {
  description = "The OIDC issuer's URL."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "cluster_security_group_id" {
  description = "The security group that EKS made for the control plane and the nodes."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "node_role_arn" {
  description = "The role of the nodes, for node groups made elsewhere."
  value       = aws_iam_role.node.arn
}
