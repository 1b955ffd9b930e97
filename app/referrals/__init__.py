"""The referral program: personal codes and share links, referrals recorded from the orders
that use them, qualified after a hold period, checked for fraud, and rewarded."""
