import os

SECRET_KEY = "django-insecure-ek@65gs%-^7*==4nl#p*m*u9y9mnj=-gjn((*ob1"
DEBUG = True
ALLOWED_HOSTS = ["*"]

AWS_ACCESS_KEY_ID = "AKIAFVDPDH5G76XBSSCO"
AWS_SECRET_ACCESS_KEY = "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"
DATABASE_URL = "postgresql://ledger:w1OI3xTRxAqevnYDAWm7@db.prod.internal:5432/ledger"
