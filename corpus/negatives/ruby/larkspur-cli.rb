class LarkspurCli < Formula
  desc "Command-line client for the Larkspur platform"
  homepage "https://github.com/larkspur/cli"
  version "2.8.1"
  license "MIT"

  on_macos do
    on_arm do
      url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-aarch64-apple-darwin.tar.gz"
      sha256 "fb559151662888bed5e465d2160fd89b076b48a0f2f77b5bf5834d3c1b804d55"
    end
    on_intel do
      url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-x86_64-apple-darwin.tar.gz"
      sha256 "a7647e4c55e02e37ecabe4f05520193f0957279ca9cde4f8d7af1692b782dd54"
    end
  end

  on_linux do
    url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-x86_64-unknown-linux-gnu.tar.gz"
    sha256 "6d086925561eb0fcaade4a093f5664d2e7b7ef81f8d8b5e2333809db091137b7"
  end

  def install
    bin.install "larkspur"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/larkspur --version")
  end
end
