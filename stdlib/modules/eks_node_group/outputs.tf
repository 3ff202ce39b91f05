output "arn" {
  description = "The node group's ARN."
  value       = aws_eks_node_group.this.arn
}

output "name" {
  description = "The node group's name."
  value       = aws_eks_node_group.this.node_group_name
}
