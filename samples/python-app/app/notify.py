import requests

SLACK_TOKEN = "xoxb-689445581346-3140218468452-ZdhFH1yZTFJtQPPDgnfG7aYv"
GITHUB_TOKEN = "ghp_mYGdfq5VUjhlDHQWrNB3M0hbK3u5ZCMjOmP7"


def post(text):
    return requests.post("https://slack.com/api/chat.postMessage", data={"text": text}, verify=False)
