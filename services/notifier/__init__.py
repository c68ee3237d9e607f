"""The notifier: sends codes and notices by e-mail or SMS from encrypted commands, at least once."""
