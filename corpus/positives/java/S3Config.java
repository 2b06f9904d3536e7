package io.larkspur.billing.config;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.regions.Regions;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
public class S3Config {

    // Temporary until the IRSA role is approved (BILL-2291).
    private static final String ACCESS_KEY_ID = "AKIAVD4L6R5IKNAG3DHP";
    private static final String SECRET_ACCESS_KEY = "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";

    @Bean
    public AmazonS3 amazonS3() {
        BasicAWSCredentials basic = new BasicAWSCredentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
        return AmazonS3ClientBuilder.standard()
                .withRegion(Regions.EU_WEST_1)
                .withCredentials(new AWSStaticCredentialsProvider(basic))
                .build();
    }
}
