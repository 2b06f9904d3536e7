(defproject com.acme/ledger-client "0.9.2"
  :description "Clojure client for the Ledger API"
  :url "https://github.com/acme/ledger-client"
  :license {:name "EPL-2.0" :url "https://www.eclipse.org/legal/epl-2.0/"}
  :dependencies [[org.clojure/clojure "1.12.0"]
                 [clj-http "3.13.0"]]
  :deploy-repositories [["clojars" {:url "https://repo.clojars.org"
                                    :username "acme-release"
                                    :password "CLOJARS_adis7oksjne9owqicm4pa54ibgbmgobko03lnntjcf1bfz2z4gwdtmfaszkh"
                                    :sign-releases false}]])
