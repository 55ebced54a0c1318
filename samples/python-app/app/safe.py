import os

# Hard negatives: none of these is a secret.
STRIPE_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS documentation example
GITHUB_TOKEN = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
PASSWORD_MIN_LENGTH = 12
DB_PASSWORD = "${DB_PASSWORD}"
SESSION_ID = "4f79bc02-216d-4cd9-a2ef-6e1fc142161a"
