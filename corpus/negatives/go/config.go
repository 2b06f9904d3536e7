package config

import "os"

// Config is filled from the environment; see README for the variable names.
type Config struct {
	Password   string `json:"password" env:"DB_PASSWORD,required"`
	APIKey     string `json:"api_key" env:"API_KEY"`
	SlackToken string `json:"slack_token" env:"SLACK_BOT_TOKEN"`
	Secret     []byte `json:"-"`
}

func Load() Config {
	return Config{
		Password:   os.Getenv("DB_PASSWORD"),
		APIKey:     os.Getenv("API_KEY"),
		SlackToken: os.Getenv("SLACK_BOT_TOKEN"),
		Secret:     []byte(os.Getenv("SESSION_SECRET")),
	}
}

func (c Config) Redacted() Config {
	c.Password = "REDACTED"
	c.APIKey = "REDACTED"
	c.SlackToken = "REDACTED"
	c.Secret = nil
	return c
}
